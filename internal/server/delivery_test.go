package server_test

import (
	"context"
	"encoding/json"
	"filippo.io/age"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

// receiver is a webhook receiver on loopback that verifies every message
// with the Standard Webhooks library and keeps each message id once.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	wh  *standardwebhooks.Webhook
	// respond, when set, may answer request n (from 1) itself.
	respond   func(w http.ResponseWriter, n int) bool
	requests  int
	ids       []string // accepted message ids, first time each
	rows      []string // the name cell of every accepted row, in arrival order
	completed int      // rows announced by import.completed
	bad       int      // messages that failed verification
	// identity opens the age envelopes of an e2e import's batches.
	identity age.Identity
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.respond != nil && r.respond(w, r.requests) {
		return
	}
	if r.wh == nil || r.wh.Verify(body, req.Header) != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	if slices.Contains(r.ids, id) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var ev struct {
		Type  string `json:"type"`
		Batch struct {
			Rows []map[string]*string `json:"rows"`
		} `json:"batch"`
		Ciphertext []byte `json:"ciphertext"`
		Rows       int    `json:"rows"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.ids = append(r.ids, id)
	switch ev.Type {
	case "import.batch":
		for _, row := range ev.Batch.Rows {
			r.rows = append(r.rows, *row["name"])
		}
		if ev.Ciphertext != nil {
			c, err := e2e.Open(ev.Ciphertext, r.identity)
			if err != nil {
				r.bad++
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			for _, row := range c.Rows {
				r.rows = append(r.rows, *row[slices.Index(c.Columns, "name")])
			}
		}
	case "import.completed":
		r.completed = ev.Rows
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) setSecret(secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.wh = wh
	r.mu.Unlock()
}

func (r *receiver) snapshot() (rows []string, completed, bad, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.rows), r.completed, r.bad, r.requests
}

type destination struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Secret  string `json:"secret"`
	Enabled bool   `json:"enabled"`
}

func createDestination(t *testing.T, env *servertest.Env, importerID string, body map[string]any) destination {
	t.Helper()
	var d destination
	if code := env.Do(t, "POST", "/api/v1/importers/"+importerID+"/destinations", env.APIKey, body, &d); code != http.StatusCreated {
		t.Fatalf("create destination: %d", code)
	}
	return d
}

type deliveryLog struct {
	Deliveries []deliveryEntry `json:"deliveries"`
}

type deliveryEntry struct {
	ID            string `json:"id"`
	DestinationID string `json:"destination_id"`
	State         string `json:"state"`
	AckedBatches  int    `json:"acked_batches"`
	Attempts      []struct {
		Message   string  `json:"message"`
		Batch     int     `json:"batch"`
		Status    int     `json:"status"`
		Outcome   string  `json:"outcome"`
		Error     string  `json:"error"`
		LatencyMS float64 `json:"latency_ms"`
	} `json:"attempts"`
}

// waitDelivered polls the delivery log until every delivery of the import
// left the pending state.
func waitDelivered(t *testing.T, env *servertest.Env, importID string) deliveryLog {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var log deliveryLog
		if code := env.Do(t, "GET", "/api/v1/imports/"+importID+"/deliveries", env.APIKey, nil, &log); code != http.StatusOK {
			t.Fatalf("delivery log: %d", code)
		}
		done := len(log.Deliveries) > 0
		for _, d := range log.Deliveries {
			done = done && d.State != "pending"
		}
		if done {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %+v", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// uploadRows sends rows in chunks of chunkRows and completes the import.
func uploadRows(t *testing.T, env *servertest.Env, imp importer, rows [][]*string, chunkRows int) upload {
	t.Helper()
	up := createUpload(t, env, imp.Key, []string{"name", "email", "amount"}, len(rows))
	n := 0
	for first := 0; first < len(rows); first += chunkRows {
		if code, body := putChunk(t, env, up, n, chunkBody(first, rows[first:min(first+chunkRows, len(rows))]), n%2 == 0); code != http.StatusOK {
			t.Fatalf("chunk %d: %d %s", n, code, body)
		}
		n++
	}
	var done struct {
		Status string `json:"status"`
	}
	path := "/api/v1/uploads/" + up.ImportID + "/complete"
	req := map[string]any{"chunks": n, "rows": len(rows)}
	if code := doUpload(t, env, up, path, req, &done); code != http.StatusOK || done.Status != "completed" {
		t.Fatalf("complete: %d %+v", code, done)
	}
	return up
}

func doUpload(t *testing.T, env *servertest.Env, up upload, path string, body, out any) int {
	t.Helper()
	return env.Do(t, "POST", path, up.UploadToken, body, out)
}

func names(rows [][]*string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = *r[0]
	}
	return out
}

// TestWebhookDelivery drives a stored import through the HTTP API to a
// webhook receiver that fails its first requests: every row arrives once,
// in order, in batches whose signatures the Standard Webhooks library
// verifies, and the delivery log shows the failed attempts and no payload.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.opts.Configure = servertest.AllowLoopback
			env := servertest.Start(t, b.opts)
			env.StartJobs(t)
			rcv := newReceiver(t)
			const failures = 3
			rcv.respond = func(w http.ResponseWriter, n int) bool {
				if n <= failures {
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				return false
			}
			imp := createImporter(t, env, env.APIKey, nil)
			dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL + "/hook",
				"batch_size": 7, "schedule": "20ms,20ms,20ms,20ms", "headers": map[string]string{"X-Team": "blue"}})
			if len(dest.Secret) < 10 || dest.Secret[:6] != "whsec_" {
				t.Fatalf("secret %q", dest.Secret)
			}
			rcv.setSecret(dest.Secret)
			// The secret is shown once: a GET does not return it.
			var got map[string]any
			env.Do(t, "GET", "/api/v1/importers/"+imp.ID+"/destinations/"+dest.ID, env.APIKey, nil, &got)
			if _, ok := got["secret"]; ok || got["header_names"] == nil {
				t.Fatalf("GET destination: %v", got)
			}

			rows := makeRows(50, "wh")
			up := uploadRows(t, env, imp, rows, 12)
			log := waitDelivered(t, env, up.ImportID)

			gotRows, completed, bad, _ := rcv.snapshot()
			if !slices.Equal(gotRows, names(rows)) || completed != 50 || bad != 0 {
				t.Fatalf("receiver got %d rows (completed %d, bad %d), want the 50 sent in order", len(gotRows), completed, bad)
			}
			d := log.Deliveries[0]
			batches := (50 + 6) / 7
			if d.State != "delivered" || d.AckedBatches != batches || d.DestinationID != dest.ID {
				t.Fatalf("delivery %+v", d)
			}
			if len(d.Attempts) != batches+1+failures {
				t.Fatalf("%d attempts, want %d batches + completed + %d failures", len(d.Attempts), batches, failures)
			}
			for i, a := range d.Attempts[:failures] {
				if a.Status != http.StatusServiceUnavailable || a.Outcome != "retry" || a.Batch != 0 {
					t.Fatalf("attempt %d: %+v", i, a)
				}
			}
			raw := env.Logs.String()
			for _, r := range rows {
				if strings.Contains(raw, *r[1]) {
					t.Fatal("a cell value appears in the server log")
				}
			}
			if strings.Contains(raw, dest.Secret) {
				t.Fatal("the signing secret appears in the server log")
			}
		})
	}
}

// TestWebhookGoneDisables checks that a receiver answering 410 disables the
// destination: the delivery stops without retrying, the destination shows
// disabled, and re-enabling plus a replay delivers every row.
func TestWebhookGoneDisables(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	rcv := newReceiver(t)
	gone := true
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if gone {
			w.WriteHeader(http.StatusGone)
		}
		return gone
	}
	imp := createImporter(t, env, env.APIKey, nil)
	dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL})
	rcv.setSecret(dest.Secret)
	rows := makeRows(30, "gone")
	up := uploadRows(t, env, imp, rows, 30)
	log := waitDelivered(t, env, up.ImportID)
	if d := log.Deliveries[0]; d.State != "disabled" || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusGone {
		t.Fatalf("delivery after 410: %+v", d)
	}
	var got destination
	env.Do(t, "GET", "/api/v1/importers/"+imp.ID+"/destinations/"+dest.ID, env.APIKey, nil, &got)
	if got.Enabled {
		t.Fatal("destination still enabled after 410")
	}

	rcv.mu.Lock()
	gone = false
	rcv.mu.Unlock()
	if code := env.Do(t, "PATCH", "/api/v1/importers/"+imp.ID+"/destinations/"+dest.ID, env.APIKey, map[string]any{"enabled": true}, &got); code != http.StatusOK || !got.Enabled {
		t.Fatalf("re-enable: %d %+v", code, got)
	}
	if code := env.Do(t, "POST", "/api/v1/imports/"+up.ImportID+"/deliveries/"+dest.ID+"/replay", env.APIKey, nil, nil); code != http.StatusAccepted {
		t.Fatalf("replay: %d", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		gotRows, completed, _, _ := rcv.snapshot()
		if completed == 30 {
			if !slices.Equal(gotRows, names(rows)) {
				t.Fatalf("replay delivered %d rows, want the 30 sent", len(gotRows))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay not delivered: %d rows", len(gotRows))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDestinationSettings checks validation of every type's settings, the
// test event, and that settings are sealed at rest.
func TestDestinationSettings(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	rcv := newReceiver(t)
	imp := createImporter(t, env, env.APIKey, nil)
	base := "/api/v1/importers/" + imp.ID + "/destinations"
	bad := []map[string]any{
		{},
		{"type": "ftp", "url": "https://example.com/"},
		{"type": "webhook"},
		{"type": "webhook", "url": "ftp://example.com/"},
		{"type": "webhook", "url": "https://user:pw@example.com/"},
		{"type": "webhook", "url": "http://169.254.169.254/latest"},
		{"type": "webhook", "url": "https://example.com/", "batch_size": 0},
		{"type": "webhook", "url": "https://example.com/", "batch_size": 10001},
		{"type": "webhook", "url": "https://example.com/", "parallel": 17},
		{"type": "webhook", "url": "https://example.com/", "schedule": "5x"},
		{"type": "webhook", "url": "https://example.com/", "headers": map[string]string{"webhook-signature": "x"}},
		{"type": "webhook", "url": "https://example.com/", "bucket": "b"},
		{"type": "s3"},
		{"type": "s3", "bucket": "b", "format": "xml"},
		{"type": "s3", "bucket": "b", "key_template": "/abs/{import_id}"},
		{"type": "s3", "bucket": "b", "access_key_id": "only-one"},
		{"type": "postgres", "url": "mysql://h/db", "table": "t"},
		{"type": "postgres", "url": "postgres://h/db", "table": "t; DROP TABLE x"},
		{"type": "postgres", "url": "postgres://h/db", "table": "t", "parallel": 2},
	}
	for i, body := range bad {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if code := env.Do(t, "POST", base, env.APIKey, body, &e); code != http.StatusBadRequest {
			t.Errorf("case %d %v: %d %+v, want 400", i, body, code, e)
		}
	}
	dsn := "postgres://intake:s3cr3t-pw@db.example.com:5432/app"
	pg := createDestination(t, env, imp.ID, map[string]any{"type": "postgres", "url": dsn, "table": "customers", "key": []string{"email"}})
	var got map[string]any
	env.Do(t, "GET", base+"/"+pg.ID, env.APIKey, nil, &got)
	if u, _ := got["url"].(string); strings.Contains(u, "s3cr3t-pw") || u == "" {
		t.Fatalf("postgres url shown as %q", u)
	}
	wh := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL})
	rcv.setSecret(wh.Secret)
	var at struct {
		Status  int    `json:"status"`
		Outcome string `json:"outcome"`
	}
	if code := env.Do(t, "POST", base+"/"+wh.ID+"/test", env.APIKey, nil, &at); code != http.StatusOK || at.Status != http.StatusNoContent || at.Outcome != "delivered" {
		t.Fatalf("test event: %d %+v", code, at)
	}
	// Rotation: a new secret is shown once; both sign until the old one is dropped.
	var rot destination
	env.Do(t, "PATCH", base+"/"+wh.ID, env.APIKey, map[string]any{"rotate_secret": true}, &rot)
	if rot.Secret == "" || rot.Secret == wh.Secret {
		t.Fatalf("rotation gave %q", rot.Secret)
	}
	if code := env.Do(t, "POST", base+"/"+wh.ID+"/test", env.APIKey, nil, &at); code != http.StatusOK || at.Outcome != "delivered" {
		t.Fatalf("test event during rotation (receiver on the old secret): %+v", at)
	}
	var list struct {
		Destinations []destination `json:"destinations"`
	}
	if code := env.Do(t, "GET", base, env.APIKey, nil, &list); code != http.StatusOK || len(list.Destinations) != 2 {
		t.Fatalf("list: %d %+v", code, list)
	}
	if code := env.Do(t, "DELETE", base+"/"+pg.ID, env.APIKey, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code := env.Do(t, "GET", base+"/"+pg.ID, env.APIKey, nil, nil); code != http.StatusNotFound {
		t.Fatalf("deleted destination: %d", code)
	}
	// Nothing secret in clear anywhere under the data folder.
	env.Server.Store.Checkpoint(context.Background())
	for _, secret := range []string{wh.Secret, rot.Secret, "s3cr3t-pw", "db.example.com"} {
		if hits := env.FindSecret(t, secret); len(hits) > 0 {
			t.Fatalf("%q found in %v", secret, hits)
		}
	}
}

// TestDeliveryRoutesIsolated checks that another organization's key sees
// none of the destinations, deliveries or replays of this one.
func TestDeliveryRoutesIsolated(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	_, keyB := env.NewOrg(t, "org-b-"+filepath.Base(t.TempDir()))
	imp := createImporter(t, env, env.APIKey, nil)
	dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": "https://example.com/hook"})
	up := uploadRows(t, env, imp, makeRows(3, "iso"), 3)
	base := "/api/v1/importers/" + imp.ID + "/destinations"
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", base, nil},
		{"POST", base, map[string]any{"type": "webhook", "url": "https://example.com/"}},
		{"GET", base + "/" + dest.ID, nil},
		{"PATCH", base + "/" + dest.ID, map[string]any{"batch_size": 5}},
		{"POST", base + "/" + dest.ID + "/test", nil},
		{"DELETE", base + "/" + dest.ID, nil},
		{"GET", "/api/v1/imports/" + up.ImportID + "/deliveries", nil},
		{"POST", "/api/v1/imports/" + up.ImportID + "/deliveries/" + dest.ID + "/replay", nil},
	}
	for _, r := range routes {
		if code := env.Do(t, r.method, r.path, keyB, r.body, nil); code != http.StatusNotFound {
			t.Errorf("org B %s %s: %d, want 404", r.method, r.path, code)
		}
		if code := env.Do(t, r.method, r.path, "", r.body, nil); code != http.StatusUnauthorized {
			t.Errorf("no key %s %s: %d, want 401", r.method, r.path, code)
		}
	}
	// Org A still has its destination, untouched.
	var got struct {
		BatchSize int `json:"batch_size"`
	}
	if code := env.Do(t, "GET", base+"/"+dest.ID, env.APIKey, nil, &got); code != http.StatusOK || got.BatchSize != 1000 {
		t.Fatalf("org A destination: %d %+v", code, got)
	}
}

// TestBypassRelay sends a bypass-storage import through a receiver: rows
// arrive while the upload runs, a refusing receiver makes the chunk upload
// fail (so the widget shows an error), and no blob or row ciphertext is
// stored.
func TestBypassRelay(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.opts.Configure = servertest.AllowLoopback
			testBypassRelay(t, servertest.Start(t, b.opts))
		})
	}
}

func testBypassRelay(t *testing.T, env *servertest.Env) {
	env.StartJobs(t)
	rcv := newReceiver(t)
	refuse := false
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if refuse {
			w.WriteHeader(http.StatusInternalServerError)
		}
		return refuse
	}
	imp := createImporter(t, env, env.APIKey, map[string]any{"mode": "bypass"})
	if code := env.Do(t, "POST", "/api/v1/importers/"+imp.ID+"/destinations", env.APIKey,
		map[string]any{"type": "s3", "bucket": "b"}, nil); code != http.StatusBadRequest {
		t.Fatalf("s3 destination on a bypass importer: %d, want 400", code)
	}
	dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL})
	rcv.setSecret(dest.Secret)

	rows := makeRows(40, "bypass")
	up := createUpload(t, env, imp.Key, []string{"name", "email", "amount"}, len(rows))
	if code, body := putChunk(t, env, up, 0, chunkBody(0, rows[:20]), false); code != http.StatusOK {
		t.Fatalf("chunk 0: %d %s", code, body)
	}
	rcv.mu.Lock()
	refuse = true
	rcv.mu.Unlock()
	if code, _ := putChunk(t, env, up, 1, chunkBody(20, rows[20:]), false); code < 400 {
		t.Fatalf("chunk 1 refused by the receiver answered %d, want an error", code)
	}
	var status struct {
		Chunks []int `json:"chunks"`
	}
	env.Do(t, "GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, &status)
	if !slices.Equal(status.Chunks, []int{0}) {
		t.Fatalf("chunks after a refusal: %v, want [0]", status.Chunks)
	}
	rcv.mu.Lock()
	refuse = false
	rcv.mu.Unlock()
	if code, body := putChunk(t, env, up, 1, chunkBody(20, rows[20:]), false); code != http.StatusOK {
		t.Fatalf("chunk 1 retried: %d %s", code, body)
	}
	var done struct {
		Status string `json:"status"`
	}
	if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 2, "rows": 40}, &done); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	log := waitDelivered(t, env, up.ImportID)
	if d := log.Deliveries[0]; d.State != "delivered" || d.AckedBatches != 2 {
		t.Fatalf("bypass delivery %+v", d)
	}
	gotRows, completed, bad, _ := rcv.snapshot()
	if !slices.Equal(gotRows, names(rows)) || completed != 40 || bad != 0 {
		t.Fatalf("receiver got %d rows (completed %d, bad %d)", len(gotRows), completed, bad)
	}
	// Nothing stored: no blob at all, and no cell in any file, S3 object
	// or log line. The planted control proves the scan finds what is there.
	if entries, err := os.ReadDir(filepath.Join(env.DataDir, "blobs")); err == nil && len(entries) > 0 {
		t.Fatalf("blob folder holds %d entries after a bypass import", len(entries))
	}
	if env.S3 != nil {
		if list, err := env.S3.ListBucket("intake", nil, gofakes3.ListBucketPage{}); err != nil || len(list.Contents) > 0 {
			t.Fatalf("S3 blob store after a bypass import: %v, %v", list, err)
		}
	}
	env.Server.Store.Checkpoint(context.Background())
	servertest.Plant(t, env.DataDir, "planted-bypass-control")
	if hits := env.FindSecret(t, "planted-bypass-control"); len(hits) != 1 {
		t.Fatalf("the scan misses a planted value: %v", hits)
	}
	for _, r := range rows {
		for _, cell := range r[:2] {
			if hits := env.FindSecret(t, *cell); len(hits) > 0 {
				t.Fatalf("a cell of a bypass import is kept in %v", hits)
			}
		}
	}
	var page rowsPage
	if code := env.Do(t, "GET", fmt.Sprintf("/api/v1/imports/%s/rows", up.ImportID), env.APIKey, nil, &page); code == http.StatusOK && len(page.Rows) > 0 {
		t.Fatalf("%d rows of a bypass import are readable", len(page.Rows))
	}
}
