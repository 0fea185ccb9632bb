package widget_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestBrowserE2EImport (issue 17): a file holding a canary goes through an
// e2e importer in Chromium. Every request body the server receives is
// captured: none holds the canary (the widget sent ciphertext), nor does
// the data folder or the log; the loopback webhook receiver opens the age
// envelopes with the team's identity and gets exactly the rows of the file.
func TestBrowserE2EImport(t *testing.T) {
	ctx := browsertest.New(t)
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	var mu sync.Mutex
	var bodies bytes.Buffer
	h := env.Server.Handler
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies.WriteString(r.URL.String())
		bodies.Write(b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	id, _ := age.GenerateX25519Identity()
	var received []e2e.Chunk
	var rmu sync.Mutex
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev e2e.Envelope
		if json.Unmarshal(b, &ev) == nil && ev.Ciphertext != nil {
			c, err := e2e.Open(ev.Ciphertext, id)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			rmu.Lock()
			received = append(received, c)
			rmu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	tmpl := json.RawMessage(`{"columns":[{"key":"name","label":"Name","type":"text"},{"key":"email","label":"Email","type":"text"}]}`)
	var im struct{ ID, Key string }
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "Sealed", "template": tmpl, "mode": "e2e",
		"recipients": []string{id.Recipient().String()}}, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	if code := env.Do(t, "POST", "/api/v1/importers/"+im.ID+"/destinations", env.APIKey, map[string]any{"type": "webhook", "url": rcv.URL}, nil); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	const canary = "CanaryE2Ebrowser7q"
	csv := "Name,Email\n" + canary + " Ann,ann@example.com\nBob," + canary + "@example.com\nZoë,z@example.com\n"
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := importFile(ctx, proxy.URL, im.Key, path, false); err != nil {
		t.Fatal(err)
	}
	v := func(s string) *string { return &s }
	want := [][]*string{{v(canary + " Ann"), v("ann@example.com")}, {v("Bob"), v(canary + "@example.com")}, {v("Zoë"), v("z@example.com")}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rmu.Lock()
		var got [][]*string
		for _, c := range received {
			got = append(got, c.Rows...)
		}
		rmu.Unlock()
		if reflect.DeepEqual(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver opened %d rows, want the 3 of the file", len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	sent := bodies.String()
	mu.Unlock()
	if !strings.Contains(sent, "first_row=0&rows=3") {
		t.Fatal("control: no encrypted chunk among the requests captured")
	}
	if strings.Contains(sent, canary) {
		t.Fatal("the canary is in a request body the server received")
	}
	if hits := env.FindSecret(t, canary); len(hits) > 0 {
		t.Fatalf("the canary is at rest or in the log: %v", hits)
	}
}
