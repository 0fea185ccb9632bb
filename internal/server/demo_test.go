package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/widget"
)

// openAt opens a server on dataDir with args and serves it on loopback
// until closed.
func openAt(t *testing.T, dataDir string, args ...string) (*server.Server, *httptest.Server) {
	t.Helper()
	cfg, err := config.Load("test", append([]string{"--data-dir", dataDir}, args...), func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return srv, hs
}

func status(t *testing.T, method, u string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var demoUpload = mustJSON(map[string]any{"importer": widget.DemoImporterKey, "columns": []string{"id"},
	"source": map[string]any{"format": "csv", "size_bytes": 10}, "rows": 1})

// TestDemoOnlyWhereAsked: the demo importer exists on a loopback Intake
// without a public URL, or with --demo; elsewhere /demo is 404 and no
// imp_demo is created.
func TestDemoOnlyWhereAsked(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		on   bool
	}{
		{"loopback", nil, true},
		{"public url", []string{"--public-url", "https://intake.example.com"}, false},
		{"public url with --demo", []string{"--public-url", "https://intake.example.com", "--demo"}, true},
		{"loopback with --demo=false", []string{"--demo=false"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hs := openAt(t, t.TempDir(), tt.args...)
			want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[tt.on]
			for _, path := range []string{"/demo", "/i/" + widget.DemoImporterKey} {
				if got := status(t, "GET", hs.URL+path, nil); got != want {
					t.Errorf("GET %s: %d, want %d", path, got, want)
				}
			}
			_, err := srv.Store.ImporterByKey(context.Background(), widget.DemoImporterKey)
			if exists := err == nil; exists != tt.on {
				t.Errorf("imp_demo exists: %v (%v), want %v", exists, err, tt.on)
			}
			if got, wantUp := status(t, "POST", hs.URL+"/api/v1/uploads", demoUpload), map[bool]int{true: 201, false: 404}[tt.on]; got != wantUp {
				t.Errorf("upload to imp_demo: %d, want %d", got, wantUp)
			}
		})
	}
}

// TestDemoOfAnEarlierRunIsDisabled: an imp_demo created by an earlier,
// loopback run answers as unknown once the server runs with a public URL
// (pages, uploads, and chunks of a session opened before), and works again
// when the demo is switched back on.
func TestDemoOfAnEarlierRunIsDisabled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, hs := openAt(t, dir)
	resp, err := http.Post(hs.URL+"/api/v1/uploads", "application/json", bytes.NewReader(demoUpload))
	if err != nil {
		t.Fatal(err)
	}
	var up upload
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("demo upload on loopback: %d", resp.StatusCode)
	}
	hs.Close()
	srv.Close()

	srv, hs = openAt(t, dir, "--public-url", "https://intake.example.com")
	if _, err := srv.Store.ImporterByKey(context.Background(), widget.DemoImporterKey); err != nil {
		t.Fatalf("the earlier run's imp_demo is gone from the store: %v", err)
	}
	for _, path := range []string{"/demo", "/i/" + widget.DemoImporterKey, "/embed/" + widget.DemoImporterKey + "?origin=https://intake.example.com&channel=0123456789abcdef"} {
		if got := status(t, "GET", hs.URL+path, nil); got != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, got)
		}
	}
	if got := status(t, "POST", hs.URL+"/api/v1/uploads", demoUpload); got != http.StatusNotFound {
		t.Errorf("new demo upload: %d, want 404", got)
	}
	req, _ := http.NewRequest("PUT", hs.URL+"/api/v1/uploads/"+up.ImportID+"/chunks/0", bytes.NewReader(mustJSON(map[string]any{"first_row": 0, "rows": [][]*string{{s("1")}}})))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("chunk of a demo session opened before: %d, want 404", resp.StatusCode)
	}
	hs.Close()
	srv.Close()

	_, hs = openAt(t, dir, "--demo")
	if got := status(t, "GET", hs.URL+"/i/"+widget.DemoImporterKey, nil); got != http.StatusOK {
		t.Errorf("demo switched on again: %d", got)
	}
}
