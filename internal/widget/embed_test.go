package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hostPage is a team's web app on another origin: it includes embed.js from
// Intake and records what the callbacks receive.
const hostPage = `<!doctype html><html><body><p>host app</p>
<script src="%s/embed.js"></script>
<script>
window.results = [];
window.handle = Intake.open({
  importer: %q, locale: "de", user: {id: "u-1"}, metadata: {plan: "pro"},
  onComplete: (s) => results.push({event: "complete", summary: s}),
  onError: (e) => results.push({event: "error", code: e.code}),
  onClose: () => results.push({event: "close"}),
});
</script></body></html>`

func TestBrowserEmbedOnAnotherOrigin(t *testing.T) {
	ctx := newBrowser(t)
	s := newTestServer(t, 0)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("key")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, s.URL, key)
	}))
	t.Cleanup(host.Close)
	key := s.addImporterWith(t, []templateColumn{{Key: "name", Label: "Name", Type: "text"}, {Key: "email", Label: "Email", Type: "email", Required: true}},
		map[string]any{"allowed_origins": []string{host.URL}})
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@example.com\n")

	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/?key="+key), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		t.Fatal(err)
	}
	frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe")))
	if err != nil || len(frames) != 1 {
		t.Fatalf("iframe: %v (%d)", err, len(frames))
	}
	in := chromedp.FromNode(frames[0])
	err = chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`), in),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}, in),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`), in),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`), in),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`), in),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`), in),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`), in),
	)
	if err != nil {
		t.Fatalf("flow in the iframe: %v", err)
	}
	// The locale passed to Intake.open reached the iframe.
	lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang", in))
	if err != nil || lang.Value != "de" {
		t.Errorf("iframe lang = %q (%v), want de", lang.Value, err)
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
