package widget

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func testLookup(importers ...Importer) Lookup {
	return func(_ context.Context, key string) (Importer, error) {
		for _, imp := range importers {
			if imp.Key == key {
				return imp, nil
			}
		}
		return Importer{}, fmt.Errorf("lookup %s: %w", key, ErrNotFound)
	}
}

func newTestMux(t *testing.T, importers ...Importer) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, testLookup(importers...), slog.New(slog.DiscardHandler))
	return mux
}

func get(t *testing.T, h http.Handler, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Host = "intake.test"
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var contacts = Importer{
	Key:            "imp_contacts",
	Name:           "Contacts <import>",
	Template:       json.RawMessage(`{"columns":[{"key":"email","type":"email","required":true}]}`),
	Mode:           "stored",
	AllowedOrigins: []string{"https://app.example.com", "not an origin", "https://*.evil.com"},
	Learn:          true,
	Learned:        []LearnedPair{{Hash: LearnedHash("imp_x", "e mail adresse"), Key: "email"}},
}

func TestEmbedPage(t *testing.T) {
	t.Parallel()
	mux := newTestMux(t, contacts)
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantCSP    string
	}{
		{"allowed origin", "/embed/imp_contacts?origin=https://app.example.com&channel=0123456789abcdef", 200, "frame-ancestors 'self' https://app.example.com"},
		{"own origin", "/embed/imp_contacts?origin=http://intake.test&channel=0123456789abcdef", 200, "frame-ancestors 'self' https://app.example.com"},
		// A refused origin gets the explanation page, framable by that
		// origin only (origins_test.go); the importer is not in it.
		{"suffix is not enough", "/embed/imp_contacts?origin=https://app.example.com.evil.com&channel=0123456789abcdef", 403, "frame-ancestors https://app.example.com.evil.com"},
		{"wildcard entry ignored", "/embed/imp_contacts?origin=https://x.evil.com&channel=0123456789abcdef", 403, "frame-ancestors https://x.evil.com"},
		{"bad channel", "/embed/imp_contacts?origin=https://app.example.com&channel=<x>", 403, ""},
		{"unknown importer", "/embed/imp_nope?origin=https://app.example.com&channel=0123456789abcdef", 404, "frame-ancestors *"},
		{"malformed key", "/embed/contacts", 404, ""},
		{"hosted", "/i/imp_contacts", 200, "frame-ancestors 'none'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, mux, tt.target, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, tt.wantCSP) {
				t.Errorf("CSP %q lacks %q", csp, tt.wantCSP)
			}
			if strings.Contains(csp, "*.evil") {
				t.Errorf("CSP %q names an invalid origin", csp)
			}
			if rec.Code == 403 && (strings.Contains(csp, "app.example.com ") || strings.Contains(rec.Body.String(), "data-config")) {
				t.Errorf("a refused embed carries the importer: CSP %q", csp)
			}
			if rec.Header().Get("Set-Cookie") != "" {
				t.Error("widget page sets a cookie")
			}
		})
	}
}

func TestEmbedPageConfig(t *testing.T) {
	t.Parallel()
	mux := newTestMux(t, contacts)
	rec := get(t, mux, "/embed/imp_contacts?origin=https://app.example.com&channel=0123456789abcdef", nil)
	body := rec.Body.String()
	if strings.Contains(body, "<import>") {
		t.Fatal("importer name not escaped")
	}
	start := strings.Index(body, `data-config="`) + len(`data-config="`)
	end := strings.Index(body[start:], `"`)
	raw := strings.NewReplacer("&#34;", `"`, "&lt;", "<", "&gt;", ">", "&amp;", "&", "&#43;", "+").Replace(body[start : start+end])
	var cfg appConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatalf("config: %v in %s", err, raw)
	}
	if cfg.HostOrigin != "https://app.example.com" || cfg.Channel != "0123456789abcdef" || cfg.Importer.Key != "imp_contacts" {
		t.Errorf("config = %+v", cfg)
	}
	if !cfg.Importer.Learn || len(cfg.Importer.Learned) != 1 || cfg.Importer.Learned[0] != (LearnedPair{Hash: LearnedHash("imp_x", "e mail adresse"), Key: "email"}) {
		t.Errorf("learned mappings in the config: %v %+v", cfg.Importer.Learn, cfg.Importer.Learned)
	}
	if !strings.HasPrefix(cfg.Assets["worker"], assetPrefix+"worker.") {
		t.Errorf("worker asset = %q", cfg.Assets["worker"])
	}
	// The app script is referenced by its checksummed URL, and served.
	for _, name := range []string{"app.js", "app.css"} {
		u := mustLoadAssets().url[name]
		if !strings.Contains(body, u) {
			t.Errorf("page does not reference %s", u)
		}
		if rec := get(t, mux, u, nil); rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: status %d cache %q", u, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	mux := newTestMux(t)
	rec := get(t, mux, "/embed.js", http.Header{"Accept-Encoding": {"gzip"}})
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("embed.js: %d %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	// The loader must stay small: it runs on every host page.
	if n := rec.Body.Len(); n > 5*1024 {
		t.Errorf("embed.js is %d bytes gzipped, budget 5 KB", n)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("content type %q", ct)
	}
	worker := mustLoadAssets().url["worker.js"]
	rec = get(t, mux, worker, nil)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "connect-src 'self'") {
		t.Errorf("worker: %d CSP %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
	body, _ := io.ReadAll(rec.Body)
	if len(body) == 0 || rec.Header().Get("Content-Encoding") != "" {
		t.Error("worker served compressed to a client that did not ask")
	}
	if rec := get(t, mux, assetPrefix+"app.000000000000.js", nil); rec.Code != 404 {
		t.Errorf("unknown hash: %d", rec.Code)
	}
	// The app (without the lazy XLS reader) has a 300 KB gzipped budget: 250 KB
	// until the phone table shared with the server (+72 KB) and age (e2e) came in.
	var total int
	for _, name := range []string{"app.js", "app.css", "worker.js"} {
		total += len(mustLoadAssets().byHashed[strings.TrimPrefix(mustLoadAssets().url[name], assetPrefix)].gzipped)
	}
	if total > 300*1024 {
		t.Errorf("app is %d bytes gzipped, budget 300 KB", total)
	}
}

func TestLookupFailure(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	Register(mux, func(context.Context, string) (Importer, error) { return Importer{}, fmt.Errorf("db down") }, slog.New(slog.DiscardHandler))
	if rec := get(t, mux, "/i/imp_x", nil); rec.Code != 500 {
		t.Errorf("status %d, want 500", rec.Code)
	}
}

func TestDemoPage(t *testing.T) {
	t.Parallel()
	if rec := get(t, newTestMux(t), "/demo", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/demo without WithDemo: %d, want 404", rec.Code)
	}
	mux := http.NewServeMux()
	Register(mux, testLookup(), slog.New(slog.DiscardHandler), WithDemo())
	rec := get(t, mux, "/demo", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), DemoImporterKey) {
		t.Fatalf("demo: %d", rec.Code)
	}
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "frame-src 'self'") {
		t.Errorf("demo CSP %q", rec.Header().Get("Content-Security-Policy"))
	}
}

// TestLearnedHash: the hash a learned header goes as, the same vector as
// the widget's (web/widget/test/learned.test.ts).
func TestLearnedHash(t *testing.T) {
	if got := LearnedHash("imp_demo", "kunden name"); got != "d18b296f66c145eed70512f62b10c486" {
		t.Errorf("LearnedHash = %s", got)
	}
}
