package retention_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// env wraps a test server with the calls the privacy tests make.
type env struct {
	*servertest.Env
	pgDir string // the PostgreSQL data directory, when the env uses PostgreSQL
}

func start(t testing.TB, pg bool) *env {
	t.Helper()
	e := &env{Env: servertest.Start(t, servertest.Options{Postgres: pg, S3: pg, Configure: servertest.AllowLoopback})}
	if pg {
		e.pgDir = os.Getenv("INTAKE_PG_DIR")
		if e.pgDir == "" {
			e.pgDir = "/tmp/intake-pg"
		}
		if _, err := os.ReadDir(filepath.Join(e.pgDir, "base")); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("PostgreSQL data directory unreadable: %v", err)
			}
			t.Logf("PostgreSQL data directory not scanned: %v", err)
			e.pgDir = ""
		}
	}
	return e
}

// webhook gives the importer a webhook destination on loopback, starts the
// job queue that delivers to it, and returns the bodies it receives.
func (e *env) webhook(t testing.TB, importerID string) <-chan string {
	t.Helper()
	bodies := make(chan string, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case bodies <- string(b):
		default:
		}
	}))
	t.Cleanup(rcv.Close)
	if code := e.Do(t, "POST", "/api/v1/importers/"+importerID+"/destinations", e.APIKey,
		map[string]any{"type": "webhook", "url": rcv.URL}, nil); code != http.StatusCreated {
		t.Fatalf("create webhook destination: %d", code)
	}
	e.StartJobs(t)
	return bodies
}

type upload struct {
	ImportID    string `json:"import_id"`
	UploadToken string `json:"upload_token"`
}

func (e *env) importer(t testing.TB, name string) (id, key string) {
	t.Helper()
	var im struct{ ID, Key string }
	if code := e.Do(t, "POST", "/api/v1/importers", e.APIKey, map[string]any{"name": name, "allow_invalid": true,
		"template": json.RawMessage(testTemplate)}, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	return im.ID, im.Key
}

func (e *env) create(t testing.TB, key string, rows int, user any) upload {
	t.Helper()
	var up upload
	body := map[string]any{"importer": key, "columns": []string{"name", "email"},
		"source": map[string]any{"format": "xlsx", "size_bytes": 100}, "rows": rows}
	if user != nil {
		body["user"], body["metadata"] = user, user
	}
	if code := e.Do(t, "POST", "/api/v1/uploads", "", body, &up); code != http.StatusCreated {
		t.Fatalf("create upload: %d", code)
	}
	return up
}

// put sends a chunk body as is (so a test controls its JSON escapes).
func (e *env) put(t testing.TB, up upload, n int, body string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", e.URL, up.ImportID, n), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// flush makes the databases write what they hold to their files: a WAL
// checkpoint on SQLite, a CHECKPOINT on PostgreSQL (heap pages to disk).
func (e *env) flush(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	if err := e.Server.Store.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Server.Store.Postgres() {
		if _, err := e.Server.Store.WriteDB().ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
}

// find lists every place holding secret in UTF-8 or UTF-16: data folder,
// S3 objects, server log, and the PostgreSQL data directory (heap, WAL, its
// server log).
func (e *env) find(t testing.TB, secret string) []string {
	t.Helper()
	hits := e.FindSecret(t, secret)
	if e.pgDir != "" {
		hits = append(hits, servertest.FindInDir(t, e.pgDir, servertest.Encodings(secret)...)...)
	}
	return hits
}

// requireHidden flushes the databases and fails if any secret is at rest or
// logged (when says at which step); a control, stored in clear, must be
// found, or the scan proves nothing.
func (e *env) requireHidden(t testing.TB, when, control string, secrets ...string) {
	t.Helper()
	e.flush(t)
	for _, secret := range secrets {
		if hits := e.find(t, secret); len(hits) > 0 {
			t.Fatalf("canary at rest or logged %s: %v", when, hits)
		}
	}
	if control != "" && len(e.find(t, control)) == 0 {
		t.Fatal("control: the importer name, stored in clear, was not found: the scan reads nothing")
	}
}

// wrappedKey is the import's wrapped data key, which must be there before
// its purge.
func (e *env) wrappedKey(t testing.TB, importID string) []byte {
	t.Helper()
	stored, err := e.Server.Store.Import(context.Background(), e.OrgID, importID)
	if err != nil || len(stored.WrappedKey) == 0 {
		t.Fatalf("wrapped key before the purge: %v", err)
	}
	return stored.WrappedKey
}

// purge deletes an import of one chunk through the API.
func (e *env) purge(t testing.TB, importID string) {
	t.Helper()
	var res struct{ Imports, Chunks int }
	if code := e.Do(t, "DELETE", "/api/v1/imports/"+importID, e.APIKey, nil, &res); code != http.StatusOK || res.Imports != 1 || res.Chunks != 1 {
		t.Fatalf("purge: %d %+v", code, res)
	}
}

func (e *env) countChunks(t testing.TB, importID string) int {
	t.Helper()
	var n int
	if err := e.Server.Store.WriteDB().QueryRow(`SELECT COUNT(*) FROM chunks WHERE import_id = $1`, importID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCanary is the proof behind docs/privacy.md: rows holding a unique
// canary (plain, written with JSON escapes in the request body, next to a
// quote and non-ASCII letters, in an invalid cell, and in the host's user
// context and metadata) are imported and read back, then every byte at rest
// is scanned for the canary in UTF-8 and UTF-16LE/BE (the forms an XLSX or
// a UTF-16 CSV cell would have): the data folder (SQLite DB, WAL, SHM,
// blobs), S3 objects, the PostgreSQL data directory and every log line. It
// is never there in plaintext, before or after the purge; after the purge
// the blobs and chunk rows are gone and the counts and import log remain,
// and on SQLite the destroyed wrapped key is in no file either.
// Controls prove the scans read what they should.
func TestCanary(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, be.pg)
			canary := "canary-" + store.RandomToken(10)
			control := "importer-" + store.RandomToken(10) // stored in clear, as an importer's name
			importerID, key := e.importer(t, control)
			delivered := e.webhook(t, importerID)
			up := e.create(t, key, 4, map[string]any{"id": canary + "-user", "note": canary})
			escaped := ""
			for _, r := range canary {
				escaped += fmt.Sprintf(`\u%04x`, r) // the canary as JSON escapes only
			}
			body := `{"first_row":0,"rows":[` +
				`["` + canary + `","a@example.com"],` +
				`["` + escaped + `\u00e9","b@example.com"],` +
				`["Zo\u00eb \"` + canary + `\" \u00fcn\u00efcode","c@example.com"],` +
				`["x","` + canary + ` is not an email"]]}`
			if code, _ := e.put(t, up, 0, body); code != http.StatusOK {
				t.Fatalf("chunk: %d", code)
			}
			if code := e.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 4}, nil); code != http.StatusOK {
				t.Fatalf("complete: %d", code)
			}
			var page struct{ Rows [][]*string }
			e.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", e.APIKey, nil, &page)
			if len(page.Rows) != 4 || *page.Rows[1][0] != canary+"é" || !strings.Contains(*page.Rows[2][0], `"`+canary+`"`) {
				t.Fatal("the canary rows did not round-trip, so the scan would prove nothing")
			}
			// Delivery ran (job rows, delivery records, attempts) and carried
			// the canary to the team's receiver, its only destination.
			select {
			case body := <-delivered:
				if !strings.Contains(body, canary) {
					t.Fatal("control: the delivered rows do not hold the canary")
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the import was not delivered")
			}
			e.requireHidden(t, "before the purge", control, canary)
			wrapped := e.wrappedKey(t, up.ImportID)
			if !be.pg && len(servertest.FindInDir(t, e.DataDir, wrapped)) == 0 {
				t.Fatal("control: the wrapped key is not found in the data folder before the purge")
			}

			e.purge(t, up.ImportID)
			e.requireHidden(t, "after the purge", "", canary)
			// On SQLite (secure_delete, WAL truncated) the destroyed key is gone
			// from every file; PostgreSQL keeps the dead tuple until VACUUM
			// (docs/privacy.md says so).
			if hits := servertest.FindInDir(t, e.DataDir, wrapped); !be.pg && len(hits) > 0 {
				t.Fatalf("the destroyed wrapped key is still on disk: %v", hits)
			}
			if n := countBlobs(t, e.Server.Bucket, up.ImportID); n != 0 {
				t.Fatalf("%d blobs left after the purge", n)
			}
			if n := e.countChunks(t, up.ImportID); n != 0 {
				t.Fatalf("%d chunk rows left after the purge", n)
			}
			var im struct {
				Status string
				Rows   int64
				Chunks int
			}
			e.Do(t, "GET", "/api/v1/imports/"+up.ImportID, e.APIKey, nil, &im)
			if im.Status != "purged" || im.Rows != 4 || im.Chunks != 1 {
				t.Fatalf("import after the purge: %+v (counts must remain)", im)
			}
			var log struct{ Events []struct{ Kind string } }
			e.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/log", e.APIKey, nil, &log)
			if n := len(log.Events); n < 4 || log.Events[n-1].Kind != "import.purged" {
				t.Fatalf("import log after the purge: %+v", log.Events)
			}
			if code := e.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", e.APIKey, nil, nil); code != http.StatusGone {
				t.Fatalf("rows of a purged import: %d, want 410", code)
			}
		})
	}
}

// TestPurgeDuringUpload purges an import while its chunks are being sent:
// every chunk either was stored before the shred (and is deleted by the
// purge) or is refused with 409; afterwards no blob and no chunk row exists,
// and later chunks are refused too: nothing is resurrected.
func TestPurgeDuringUpload(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, be.pg)
			_, key := e.importer(t, "in-flight")
			const chunks = 24
			up := e.create(t, key, chunks, nil)
			chunk := func(n int) string {
				return fmt.Sprintf(`{"first_row":%d,"rows":[["n%d","p%d@example.com"]]}`, n, n, n)
			}
			if code, _ := e.put(t, up, 0, chunk(0)); code != http.StatusOK {
				t.Fatalf("first chunk: %d", code)
			}
			var wg sync.WaitGroup
			codes := make([]int, chunks)
			for n := 1; n < chunks; n++ {
				wg.Go(func() { codes[n], _ = e.put(t, up, n, chunk(n)) })
				if n == chunks/2 {
					wg.Go(func() {
						// 202: the key is destroyed but a chunk's blob landed after the
						// prefix was emptied; the run below must finish it.
						if code := e.Do(t, "DELETE", "/api/v1/imports/"+up.ImportID, e.APIKey, nil, nil); code != http.StatusOK && code != http.StatusAccepted {
							t.Errorf("purge: %d", code)
						}
					})
				}
			}
			wg.Wait()
			for n, code := range codes[1:] {
				if code != http.StatusOK && code != http.StatusConflict {
					t.Errorf("chunk %d: %d, want 200 (before the purge) or 409", n+1, code)
				}
			}
			// A purge that ran before some chunks committed is finished by the next run.
			if _, err := e.Server.Retention.PurgeDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			if code, _ := e.put(t, up, chunks-1, chunk(chunks-1)); code != http.StatusConflict {
				t.Fatalf("chunk after the purge: %d, want 409", code)
			}
			if n := countBlobs(t, e.Server.Bucket, up.ImportID); n != 0 {
				t.Fatalf("%d blobs resurrected", n)
			}
			if n := e.countChunks(t, up.ImportID); n != 0 {
				t.Fatalf("%d chunk rows resurrected", n)
			}
		})
	}
}

// TestNoCookiesNoIPs: the widget pages and the upload API set no cookie,
// and neither the client's IP address (nor one claimed in X-Forwarded-For)
// nor its user agent is stored in the database or blobs, or logged.
func TestNoCookiesNoIPs(t *testing.T) {
	t.Parallel()
	e := start(t, false)
	_, key := e.importer(t, "privacy")
	ua := "Agent-" + store.RandomToken(8)
	const forwarded = "203.0.113.77"
	send := func(method, path, token, body string) *http.Response {
		req, _ := http.NewRequest(method, e.URL+path, strings.NewReader(body))
		req.Header.Set("User-Agent", ua)
		req.Header.Set("X-Forwarded-For", forwarded)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s %s set cookies: %v", method, path, c)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return resp
	}
	for _, p := range []string{"/embed.js", "/embed/" + key + "?channel=0123456789abcdef&origin=" + url.QueryEscape(e.URL), "/i/" + key, "/demo"} {
		if resp := send("GET", p, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	resp := send("POST", "/api/v1/uploads", "", `{"importer":"`+key+`","columns":["name","email"],"source":{"format":"csv","size_bytes":9},"rows":1}`)
	var up upload
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || up.UploadToken == "" {
		t.Fatalf("create upload: %d %v", resp.StatusCode, err)
	}
	if r := send("PUT", "/api/v1/uploads/"+up.ImportID+"/chunks/0", up.UploadToken, `{"first_row":0,"rows":[["a","a@example.com"]]}`); r.StatusCode != http.StatusOK {
		t.Fatalf("chunk: %d", r.StatusCode)
	}
	send("GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, "")
	if r := send("POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, `{"chunks":1,"rows":1}`); r.StatusCode != http.StatusOK {
		t.Fatalf("complete: %d", r.StatusCode)
	}
	e.flush(t)
	for _, secret := range []string{ua, forwarded, "127.0.0.1"} {
		if hits := e.find(t, secret); len(hits) > 0 {
			t.Errorf("%q stored or logged: %v", secret, hits)
		}
	}
}
