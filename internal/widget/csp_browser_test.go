package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// strictHost serves a team's app with the strictest CSP a host page is
// likely to have: no inline script or style at all, scripts from itself
// and Intake, frames from Intake. Its scripts are files, so that the page
// itself obeys the policy; the first one records every CSP violation
// before embed.js runs.
// The importer's key comes in the page's query (?key=).
func strictHost(t *testing.T, intake string) *httptest.Server {
	t.Helper()
	policy := fmt.Sprintf("default-src 'self'; style-src 'self'; script-src 'self' %s; frame-src %s", intake, intake)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><script src="/watch.js"></script></head><body><p>host app</p>
<script src="%s/embed.js"></script><script src="/open.js?key=%s"></script></body></html>`, intake, url.QueryEscape(r.URL.Query().Get("key")))
		case "/watch.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `window.violations = [];
document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective + " " + e.blockedURI));`)
		case "/open.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, `window.results = [];
Intake.open({importer: %q, onComplete: (s) => results.push(s), onError: (e) => results.push(e)});`, r.URL.Query().Get("key"))
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(host.Close)
	return host
}

// TestBrowserEmbedUnderStrictCSP: on a host page whose CSP allows no inline
// style, the importer still fills most of the viewport (a blocked style
// attribute leaves a 300×150 iframe), an import goes through, and neither
// the host page nor the importer reports a CSP violation.
func TestBrowserEmbedUnderStrictCSP(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	host := strictHost(t, s.URL)
	key := s.addImporterWith(t, peopleColumns, map[string]any{"allowed_origins": []string{host.URL}})

	var mu sync.Mutex
	var console []string
	// The browser log has the violations of every frame of the tab, the
	// importer's own included.
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*log.EventEntryAdded); ok && (e.Entry.Level == log.EntryLevelError || strings.Contains(e.Entry.Text, "Content Security Policy")) {
			mu.Lock()
			console = append(console, e.Entry.Text)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@example.com\n")
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(host.URL+"/?key="+key), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.ImportInFrame(ctx, path); err != nil {
		t.Fatalf("flow in the iframe: %v", err)
	}
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector("iframe").getBoundingClientRect();
		return [r.width, r.height, innerWidth, innerHeight]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if w, h, vw, vh := box[0], box[1], box[2], box[3]; w < 0.8*vw || h < 0.8*vh {
		t.Errorf("the importer is %.0f×%.0f in a %.0f×%.0f viewport: its styles were blocked", w, h, vw, vh)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`results.length > 0`)); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.storedRows(t, key); len(rows) != 2 {
		t.Errorf("server stored %d rows, want 2", len(rows))
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`violations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("the host page reported CSP violations: %q", violations)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(console) > 0 {
		t.Errorf("the browser logged errors: %q", console)
	}
}

// TestBrowserDemoFillsTheViewport: /demo's own CSP (style-src 'self')
// used to block the loader's style attributes, leaving a 300×150 importer.
func TestBrowserDemoFillsTheViewport(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(s.URL+"/demo"),
		chromedp.Click(chromedp.CSS(`[data-testid=demo-open]:not([disabled])`)),
		chromedp.WaitReady(chromedp.CSS("iframe")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.Frame(ctx, `input[type=file]`); err != nil {
		t.Fatal(err)
	}
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector("iframe").getBoundingClientRect();
		return [r.width, r.height, innerWidth, innerHeight]; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if w, h, vw, vh := box[0], box[1], box[2], box[3]; w < 0.8*vw || h < 0.8*vh {
		t.Errorf("the demo's importer is %.0f×%.0f in a %.0f×%.0f viewport", w, h, vw, vh)
	}
}

// TestBrowserEmbedRefusedOriginIsReadable: an importer with no allowed
// origins, opened on a team's site, shows in its iframe which origin to
// add (before, a 403 that the browser refused to frame: a blank box).
func TestBrowserEmbedRefusedOriginIsReadable(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, s.URL, key)
	}))
	t.Cleanup(host.Close)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		t.Fatal(err)
	}
	frame, err := browsertest.Frame(ctx, `[role=alert]`)
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[role=alert]`), chromedp.FromNode(frame)))
	if want := "Add " + host.URL + " to this importer's allowed origins in the Intake dashboard."; err != nil || text != want {
		t.Errorf("the iframe says %q (%v), want %q", text, err, want)
	}
	// The host still hears that the importer did not open.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`results.some((r) => r.event === "error")`)); err != nil {
		t.Errorf("no onError: %v", err)
	}
}
