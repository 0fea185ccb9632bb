package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/johannesboyne/gofakes3"

	"github.com/intakehq/intake/internal/cli"
	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

var e2eColumns = []string{"name", "email", "amount"}

// uploadSealed sends rows to an e2e importer as the widget does, sealed to
// recipient in chunks of per rows, completes the import and returns it
// with the number of chunks sent.
func uploadSealed(t *testing.T, env *servertest.Env, imp importer, recipient age.Recipient, rows [][]*string, per int) (upload, int) {
	t.Helper()
	up := createUpload(t, env, imp.Key, e2eColumns, len(rows))
	n := 0
	for first := 0; first < len(rows); first += per {
		part := rows[first:min(first+per, len(rows))]
		ct, err := e2e.Seal(e2e.Chunk{FirstRow: int64(first), Columns: e2eColumns, Rows: part}, recipient)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d?first_row=%d&rows=%d", env.URL, up.ImportID, n, first, len(part)), bytes.NewReader(ct))
		req.Header.Set("Authorization", "Bearer "+up.UploadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("chunk %d: %d %s", n, resp.StatusCode, body)
		}
		n++
	}
	if code := doUpload(t, env, up, "/api/v1/uploads/"+up.ImportID+"/complete", map[string]any{"chunks": n, "rows": len(rows)}, nil); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	return up, n
}

// TestE2EWebhookDelivery (issue 17): an e2e import reaches a webhook as
// signed envelopes of age ciphertext, one per chunk; the receiver opens
// them with the team's identity and gets exactly the rows sent, in order,
// and the server logs no cell.
func TestE2EWebhookDelivery(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.opts.Configure = servertest.AllowLoopback
			env := servertest.Start(t, b.opts)
			env.StartJobs(t)
			id, _ := age.GenerateX25519Identity()
			rcv := newReceiver(t)
			rcv.identity = id
			imp := createImporter(t, env, env.APIKey, map[string]any{"mode": "e2e", "recipients": []string{id.Recipient().String()}})
			var raw map[string]any
			if code := env.Do(t, "POST", "/api/v1/importers/"+imp.ID+"/destinations", env.APIKey, map[string]any{"type": "postgres"}, &raw); code != http.StatusBadRequest {
				t.Fatalf("postgres destination for an e2e importer: %d", code)
			}
			dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL + "/hook", "batch_size": 7})
			rcv.setSecret(dest.Secret)

			rows := makeRows(23, "e2e-CANARY")
			up, n := uploadSealed(t, env, imp, id.Recipient(), rows, 10)
			log := waitDelivered(t, env, up.ImportID)
			got, completed, bad, _ := rcv.snapshot()
			if !slices.Equal(got, names(rows)) || completed != len(rows) || bad != 0 {
				t.Fatalf("receiver opened %d rows (completed %d, bad %d), want the %d sent in order", len(got), completed, bad, len(rows))
			}
			if d := log.Deliveries[0]; d.State != "delivered" || d.AckedBatches != n {
				t.Fatalf("delivery %+v: one batch per chunk (%d)", d, n)
			}
			if strings.Contains(env.Logs.String(), "e2e-CANARY") {
				t.Fatal("a cell value in the clear in the logs")
			}
		})
	}
}

// TestE2ES3Delivery (issue 17): an e2e import delivered to an S3
// destination is one .age object per chunk, the browser's ciphertext:
// no object holds the canary, and intake decrypt turns each object back
// into exactly its rows with the team's identity.
func TestE2ES3Delivery(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{S3: true, Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	blobURL, err := url.Parse(env.Server.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.S3.CreateBucket("exports"); err != nil {
		t.Fatal(err)
	}
	id, _ := age.GenerateX25519Identity()
	keyFile := filepath.Join(t.TempDir(), "team-key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := createImporter(t, env, env.APIKey, map[string]any{"mode": "e2e", "recipients": []string{id.Recipient().String()}})
	createDestination(t, env, imp.ID, map[string]any{"type": "s3", "bucket": "exports", "format": "jsonl",
		"endpoint": blobURL.Query().Get("endpoint"), "access_key_id": "intake-test", "secret_access_key": "intake-test",
		"key_template": "e2e/{import_id}.{ext}"})

	rows := makeRows(23, "s3-CANARY")
	up, n := uploadSealed(t, env, imp, id.Recipient(), rows, 10)
	if log := waitDelivered(t, env, up.ImportID); log.Deliveries[0].State != "delivered" {
		t.Fatalf("delivery %+v", log.Deliveries[0])
	}
	list, err := env.S3.ListBucket("exports", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != n {
		t.Fatalf("%d objects, want one per chunk (%d)", len(list.Contents), n)
	}
	var got []string
	for i, obj := range list.Contents {
		if want := fmt.Sprintf("e2e/%s/%06d.age", up.ImportID, i); obj.Key != want {
			t.Fatalf("object %d is %s, want %s", i, obj.Key, want)
		}
		o, err := env.S3.GetObject("exports", obj.Key, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(o.Contents)
		o.Contents.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("s3-CANARY")) || !bytes.HasPrefix(data, []byte(e2e.Header)) {
			t.Fatalf("%s is not age ciphertext alone", obj.Key)
		}
		var out, errOut bytes.Buffer
		if code := cli.Run(context.Background(), []string{"decrypt", "--identity", keyFile, "--format", "csv", "-"}, bytes.NewReader(data), &out, &errOut); code != 0 {
			t.Fatalf("intake decrypt %s: %d %s", obj.Key, code, errOut.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n")
		if lines[0] != "name,email,amount" {
			t.Fatalf("intake decrypt %s: header %q", obj.Key, lines[0])
		}
		for _, l := range lines[1:] {
			got = append(got, strings.Split(l, ",")[0])
		}
	}
	if !slices.Equal(got, names(rows)) {
		t.Fatalf("intake decrypt gave %d rows, want the %d sent in order", len(got), len(rows))
	}
	if hits := env.FindSecret(t, "s3-CANARY"); len(hits) > 0 {
		t.Fatalf("canary in the clear: %v", hits)
	}
}
