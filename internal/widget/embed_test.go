package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// hostPage is a team's web app on another origin: it includes embed.js from
// Intake and records what the callbacks receive.
const hostPage = `<!doctype html><html><body><p>host app</p>
<script src="%s/embed.js"></script>
<script>
window.results = [];
window.handle = Intake.open({
  importer: %q, locale: "de", user: {id: "u-1"}, metadata: {plan: "pro"},
  theme: {mode: "dark", accent: "#ff0000", background: "url(https://evil.example/x.png)"},
  onComplete: (s) => results.push({event: "complete", summary: s}),
  onData: (d) => results.push({event: "data", data: d}),
  onError: (e) => results.push({event: "error", code: e.code}),
  onClose: () => results.push({event: "close"}),
});
</script></body></html>`

func TestBrowserEmbedOnAnotherOrigin(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, s.URL, key)
	}))
	t.Cleanup(host.Close)
	key := s.addImporterWith(t, peopleColumns,
		map[string]any{"allowed_origins": []string{host.URL}})
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@example.com\n")

	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/?key="+key), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		t.Fatal(err)
	}
	in, err := browsertest.ImportInFrame(ctx, path)
	if err != nil {
		t.Fatalf("flow in the iframe: %v", err)
	}
	// The locale passed to Intake.open reached the iframe.
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang", in))
	if err != nil || lang.Value != "de" {
		t.Errorf("iframe lang = %q (%v), want de", lang.Value, err)
	}
	// The theme reached the iframe, without the value that would load a URL.
	// (The host page cannot read the iframe's document: it is another origin.)
	mode, err1 := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "data-theme", in))
	style, err2 := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "style", in))
	if err1 != nil || err2 != nil || mode.Value != "dark" || style.Value != "--intake-accent: #ff0000;" {
		t.Errorf("iframe theme %q, style %q (%v %v)", mode.Value, style.Value, err1, err2)
	}
	// onComplete fired on the host page, after the server confirmed.
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](`results.length > 0 && JSON.stringify(results)`))
	if err != nil {
		t.Fatal(err)
	}
	var results []struct {
		Event   string
		Summary struct {
			ImportID       string
			Rows           int
			RowsWithErrors int
		}
	}
	if err := json.Unmarshal([]byte(raw), &results); err != nil {
		t.Fatalf("results %s: %v", raw, err)
	}
	if len(results) != 1 || results[0].Event != "complete" || results[0].Summary.Rows != 2 || results[0].Summary.ImportID == "" {
		t.Fatalf("host received %s", raw)
	}
	if rows, _ := s.storedRows(t, key); len(rows) != 2 {
		t.Errorf("server stored %d rows", len(rows))
	}
	// handle.close() removes the modal and reports onClose.
	raw, err = chromedp.Run(ctx, chromedp.Evaluate[string](`handle.close(); JSON.stringify([document.querySelectorAll("iframe").length, results.at(-1).event])`))
	if err != nil || raw != `[0,"close"]` {
		t.Errorf("after close: %s (%v)", raw, err)
	}
}

func TestBrowserEmbedClientMode(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, s.URL, r.URL.Query().Get("key"))
	}))
	t.Cleanup(host.Close)
	key := s.addImporterWith(t, []templateColumn{{Key: "name", Label: "Name", Type: "text"}, {Key: "email", Label: "Email", Type: "email"}},
		map[string]any{"allowed_origins": []string{host.URL}, "mode": "client"})
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,\n")
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/?key="+key), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.ImportInFrame(ctx, path); err != nil {
		t.Fatalf("flow in the iframe: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Poll[string](`results.length >= 2 && JSON.stringify(results.map((r) => r.event === "data" ? r.data : r.event))`))
	if err != nil {
		t.Fatal(err)
	}
	var got []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &got); err != nil || len(got) != 2 {
		t.Fatalf("host received %s", raw)
	}
	var data struct {
		ImportID string
		Columns  []string
		Rows     [][]*string
	}
	if err := json.Unmarshal(got[0], &data); err != nil {
		t.Fatalf("onData payload %s: %v", got[0], err)
	}
	if data.ImportID == "" || len(data.Columns) != 2 || len(data.Rows) != 2 || *data.Rows[0][1] != "ann@example.com" || string(got[1]) != `"complete"` {
		t.Fatalf("host received %s", raw)
	}
	// The server logged the import but holds no row of it.
	var page map[string]any
	if code := s.env.Do(t, "GET", "/api/v1/imports/"+data.ImportID+"/rows", s.env.APIKey, nil, &page); code == http.StatusOK {
		t.Errorf("rows of a client-mode import are readable on the server: %v", page)
	}
	var im struct{ Status string }
	if code := s.env.Do(t, "GET", "/api/v1/imports/"+data.ImportID, s.env.APIKey, nil, &im); code != http.StatusOK || im.Status != "completed" {
		t.Errorf("import log: HTTP %d status %q", code, im.Status)
	}
}

func TestBrowserDemo(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	path := writeFile(t, "contacts.csv", "id,first_name,last_name,email,phone,signup_date,amount,country,active,notes\n1,Ann,Lee,ann@example.com,+1 415 555 0123,2024-01-02,10.5,US,true,hi\n")
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/demo"),
		chromedp.Click(chromedp.CSS(`[data-testid=demo-open]:not([disabled])`)),
		chromedp.WaitReady(chromedp.CSS("iframe")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.ImportInFrame(ctx, path); err != nil {
		t.Fatalf("demo flow: %v", err)
	}
	// The demo page shows what onComplete received.
	logText, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.querySelector("[data-testid=demo-log]").textContent; return t.includes("onComplete") && t; })()`))
	if err != nil || !strings.Contains(logText, `"rows": 1`) {
		t.Errorf("demo log %q (%v)", logText, err)
	}
}

func TestBrowserEmbedUnknownImporter(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, s.URL, "imp_doesnotexist")
	}))
	t.Cleanup(host.Close)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(host.URL),
		chromedp.WaitVisible(chromedp.CSS(`[role=dialog] button[aria-label=Close]`)),
		chromedp.Click(chromedp.CSS(`[role=dialog] button[aria-label=Close]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`iframe`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	events, err := chromedp.Run(ctx, chromedp.Evaluate[string](`results.map((r) => r.event + (r.code ? ":" + r.code : "")).join(",")`))
	if err != nil || events != "error:unavailable,close" {
		t.Errorf("host events %q (%v)", events, err)
	}
}
