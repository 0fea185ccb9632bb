package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestKillMidDeliveryThenResume kills the server with SIGKILL while it
// delivers an import to a webhook receiver, restarts it on the same data
// folder, and checks that the receiver, deduplicating by webhook-id, ends
// with exactly the rows sent, each once, every message correctly signed.
func TestKillMidDeliveryThenResume(t *testing.T) {
	// The child servers inherit these: loopback receivers allowed, and a
	// short job timeout so the killed server's delivery is rescued in
	// seconds rather than minutes.
	t.Setenv("INTAKE_OUTBOUND_ALLOW", "127.0.0.0/8")
	t.Setenv("INTAKE_DELIVERY_TIMEOUT", "4s")
	dataDir := t.TempDir()
	apiKey := adminInit(t, dataDir)
	srv := startServe(t, dataDir)

	const rows, batch, killAfter = 3000, 100, 8
	var (
		mu        sync.Mutex
		wh        *standardwebhooks.Webhook
		seen      = map[string]bool{}
		got       = map[int]int{} // row id → times stored (after deduplication)
		requests  int
		bad       int
		completed = make(chan struct{})
		killNow   = make(chan struct{})
		once      sync.Once
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(30 * time.Millisecond) // a receiver that takes its time, so the kill lands mid-delivery
		mu.Lock()
		defer mu.Unlock()
		requests++
		if wh.Verify(body, r.Header) != nil {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := r.Header.Get("webhook-id")
		if seen[id] {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var ev struct {
			Type  string
			Batch struct{ Rows []map[string]string }
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		seen[id] = true
		for _, row := range ev.Batch.Rows {
			n, _ := strconv.Atoi(row["id"])
			got[n]++
		}
		if len(seen) == killAfter {
			once.Do(func() { close(killNow) })
		}
		if ev.Type == "import.completed" {
			close(completed)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	tmpl := `{"columns":[{"key":"id","type":"text","required":true}]}`
	var im struct{ ID, Key string }
	if code := call(t, "POST", srv.base+"/api/v1/importers", apiKey, []byte(`{"name":"kill","template":`+tmpl+`}`), false, &im); code != 201 {
		t.Fatalf("create importer: %d", code)
	}
	var dest struct{ ID, Secret string }
	destBody := fmt.Appendf(nil, `{"type":"webhook","url":%q,"batch_size":%d}`, rcv.URL, batch)
	if code := call(t, "POST", srv.base+"/api/v1/importers/"+im.ID+"/destinations", apiKey, destBody, false, &dest); code != 201 {
		t.Fatalf("create destination: %d", code)
	}
	var err error
	if wh, err = standardwebhooks.NewWebhook(dest.Secret); err != nil {
		t.Fatal(err)
	}

	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	create := fmt.Sprintf(`{"importer":%q,"columns":["id"],"source":{"format":"csv","size_bytes":1},"rows":%d}`, im.Key, rows)
	if code := call(t, "POST", srv.base+"/api/v1/uploads", "", []byte(create), false, &up); code != 201 {
		t.Fatalf("create upload: %d", code)
	}
	const perChunk = 1000
	for n := range rows / perChunk {
		cells := make([][]string, perChunk)
		for i := range cells {
			cells[i] = []string{strconv.Itoa(n*perChunk + i)}
		}
		b, _ := json.Marshal(map[string]any{"first_row": n * perChunk, "rows": cells})
		if code := call(t, "PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", srv.base, up.ImportID, n), up.UploadToken, b, true, nil); code != 200 {
			t.Fatalf("chunk %d: %d", n, code)
		}
	}
	if code := call(t, "POST", srv.base+"/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, fmt.Appendf(nil, `{"chunks":%d,"rows":%d}`, rows/perChunk, rows), false, nil); code != 200 {
		t.Fatalf("complete: %d", code)
	}

	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		t.Fatal("the delivery did not start")
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	mu.Lock()
	atKill := len(seen)
	mu.Unlock()
	if atKill > rows/batch {
		t.Fatal("every batch arrived before the kill: the test did not interrupt anything")
	}

	start := time.Now()
	srv = startServe(t, dataDir)
	select {
	case <-completed:
	case <-time.After(120 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("delivery did not finish after the restart: %d messages received", len(seen))
	}
	// The receiver has the last message before the sender records its 200:
	// poll the delivery log briefly rather than race the worker.
	var log struct {
		Deliveries []struct{ State string }
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		call(t, "GET", srv.base+"/api/v1/imports/"+up.ImportID+"/deliveries", apiKey, nil, false, &log)
		if len(log.Deliveries) == 1 && log.Deliveries[0].State == "delivered" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log after restart: %+v", log)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if bad > 0 {
		t.Fatalf("%d messages failed signature verification", bad)
	}
	for i := range rows {
		if got[i] != 1 {
			t.Fatalf("row %d stored %d times after deduplication, want 1", i, got[i])
		}
	}
	if len(got) != rows {
		t.Fatalf("receiver stored %d distinct rows, want %d", len(got), rows)
	}
	t.Logf("killed after %d messages; resumed and finished %s after the restart; %d requests for %d messages",
		atKill, time.Since(start).Round(time.Second), requests, len(seen))
}
