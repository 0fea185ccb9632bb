package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/vault"
)

// TestDownloadAndS3WriteSameBytes writes one import twice in each format
// both paths offer: downloaded through the API, and delivered to an S3
// bucket of the in-process S3-compatible server. The two files must be the
// same bytes, and both must keep a null cell and an empty string apart and
// neutralise a formula in CSV. It failed while S3 destinations had a CSV
// writer of their own (encoding/csv: null and "" both empty, "=1+2" left
// to run, LF line ends).
//
// The upload path never stores an empty string (validation turns a blank
// cell into null), so the test seals one chunk itself, with rows.Encode
// and the import's data key as ingest does, to put "" at rest.
func TestDownloadAndS3WriteSameBytes(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		opts servertest.Options
	}{
		{"sqlite+s3", servertest.Options{S3: true}},
		{"postgres+s3", servertest.Options{Postgres: true, S3: true}},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.opts.Configure = servertest.AllowLoopback
			env := servertest.Start(t, b.opts)
			env.StartJobs(t)
			ctx := context.Background()
			imp := createImporter(t, env, env.APIKey, nil)
			up := uploadRows(t, env, imp, makeRows(30, "fmt"), 10)

			// Chunk 1 (rows 10-19) is sealed again with an empty string, a
			// null and a formula in it.
			im, err := env.Server.Store.ImportByID(ctx, up.ImportID)
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := env.Server.Store.Chunks(ctx, up.ImportID)
			if err != nil || len(chunks) != 3 {
				t.Fatalf("chunks: %d %v", len(chunks), err)
			}
			c := chunks[1]
			data := makeRows(c.Rows, "fmt")
			data[0][2] = s("")      // amount: an empty string
			data[1][2] = nil        // amount: null
			data[2][0] = s("=1+2")  // name: a formula
			data[3][1] = s("a,\"b") // email: quoting
			key, err := env.Server.Vault.DataKey(ctx, im.ID, im.WrappedKey)
			if err != nil {
				t.Fatal(err)
			}
			sealed := key.Seal(nil, vault.PurposeChunk, int64(c.N), rows.Encode(nil, len(im.RowColumns), data, nil, nil))
			if err := env.Server.Bucket.WriteAll(ctx, c.BlobKey, sealed, nil); err != nil {
				t.Fatal(err)
			}

			blobURL, err := url.Parse(env.Server.Config.BlobURL)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.S3.CreateBucket("formats"); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"csv", "jsonl"} {
				t.Run(format, func(t *testing.T) {
					dest := createDestination(t, env, imp.ID, map[string]any{"type": "s3", "bucket": "formats", "format": format,
						"endpoint": blobURL.Query().Get("endpoint"), "access_key_id": "intake-test", "secret_access_key": "intake-test",
						"key_template": format + "/{import_id}.{ext}"})
					if code := env.Do(t, "POST", "/api/v1/imports/"+up.ImportID+"/deliveries/"+dest.ID+"/replay", env.APIKey, nil, nil); code != http.StatusAccepted {
						t.Fatalf("replay: %d", code)
					}
					for _, d := range waitDelivered(t, env, up.ImportID).Deliveries {
						if d.DestinationID == dest.ID && d.State != "delivered" {
							t.Fatalf("delivery: %+v", d)
						}
					}
					obj, err := env.S3.GetObject("formats", format+"/"+up.ImportID+"."+format, nil)
					if err != nil {
						t.Fatal(err)
					}
					delivered, err := io.ReadAll(obj.Contents)
					obj.Contents.Close()
					if err != nil {
						t.Fatal(err)
					}

					req, _ := http.NewRequest("GET", env.URL+"/api/v1/imports/"+up.ImportID+"/download?format="+format, nil)
					req.Header.Set("Authorization", "Bearer "+env.APIKey)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					downloaded, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						t.Fatalf("download: %d %v", resp.StatusCode, err)
					}

					if !bytes.Equal(downloaded, delivered) {
						t.Fatalf("download (%d bytes) and S3 object (%d bytes) differ", len(downloaded), len(delivered))
					}
					lines := strings.Split(string(downloaded), "\n")
					if len(lines) < 15 {
						t.Fatalf("%d lines", len(lines))
					}
					// Row i is line i+1 in CSV (after the header), line i in JSON Lines.
					empty, null, formula := lines[11], lines[12], lines[13]
					wantEmpty, wantNull, wantFormula := `,""`+"\r", ",\r", `'=1+2,`
					if format == "jsonl" {
						empty, null, formula = lines[10], lines[11], lines[12]
						wantEmpty, wantNull, wantFormula = `"amount":""}`, `"amount":null}`, `{"name":"=1+2",`
					}
					if !strings.HasSuffix(empty, wantEmpty) || !strings.HasSuffix(null, wantNull) || !strings.HasPrefix(formula, wantFormula) {
						t.Fatalf("%s: empty string, null or formula written wrong", format)
					}
					if empty == null {
						t.Fatalf("%s: null and an empty string are written alike", format)
					}
				})
			}
		})
	}
}
