package widget_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// TestBrowserDemoSample is the README's first import: the committed sample
// file through /demo, every proposal accepted, no error to fix, every row
// stored.
func TestBrowserDemoSample(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	path, err := filepath.Abs(filepath.Join("..", "..", "examples", "contacts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/demo"),
		chromedp.Click(chromedp.CSS(`[data-testid=demo-open]:not([disabled])`)),
		chromedp.WaitReady(chromedp.CSS("iframe")),
	)
	if err != nil {
		t.Fatal(err)
	}
	in, err := browsertest.ImportInFrame(ctx, path)
	if err != nil {
		t.Fatalf("demo flow: %v", err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid=done]`), in))
	if err != nil || !strings.Contains(done, "40") || strings.Contains(strings.ToLower(done), "error") {
		t.Errorf("done step says %q (%v), want 40 rows and no errors", done, err)
	}
	// The demo page shows what onComplete received: the server's own count.
	logText, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.querySelector("[data-testid=demo-log]").textContent; return t.includes("onComplete") && t; })()`))
	if err != nil || !strings.Contains(logText, `"rows": 40`) || !strings.Contains(logText, `"rowsWithErrors": 0`) {
		t.Errorf("demo log %q (%v), want 40 rows, 0 with errors", logText, err)
	}
}
