package widget_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// TestBrowserLearnedMapping (issue 12.4): the end user maps a header the
// matcher did not know ("Kdnr") to a column and completes the import; the
// importer learns that header, only it (no cell value reaches the request's
// learned list or the stored list), and opened again with a file with the
// same header, in another case and place, the widget proposes the learned
// column first and says so.
func TestBrowserLearnedMapping(t *testing.T) {
	ctx := browsertest.New(t)
	s, requests := newRecordingServer(t)
	key := s.addImporter(t, []templateColumn{
		{Key: "name", Label: "Name", Type: "text"},
		{Key: "email", Label: "Email", Type: "email", Required: true},
		{Key: "customer_id", Label: "Customer number", Type: "text"},
	})
	first := writeFile(t, "first.csv", "Name,Email,Kdnr,Notiz\nAnn,ann@example.com,zq-id-1001,zq-note-1\nBob,bob@example.com,zq-id-1002,zq-note-2\n")
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	proposal := func() (string, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector("select[data-key=customer_id]");
		  const l = document.querySelector("[data-testid=map-level-customer_id]"); return s.value + "|" + l.dataset.level + "|" + l.textContent.trim(); })()`))
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{first}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`select[data-key=customer_id]`)),
	)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	if got, err := proposal(); err != nil || got != "||" {
		t.Fatalf("first proposal for customer_id %q (%v), want none", got, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector("select[data-key=customer_id]"); s.value = "2"; s.dispatchEvent(new Event("change")); return s.value; })()`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, browsertest.SubmitFromMatching()...)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	// The completion carried the one change, as a header name; no request
	// but the chunks carries a cell value.
	completions := 0
	for _, r := range requests() {
		if strings.HasSuffix(r.url, "/complete") {
			completions++
			if !bytes.Contains(r.body, []byte(`"learned":[{"header":"Kdnr","key":"customer_id"}]`)) {
				t.Errorf("completion body %s lacks the learned change", r.body)
			}
		}
		if r.method == http.MethodPut && strings.Contains(r.url, "/chunks/") {
			continue
		}
		for _, v := range []string{"zq-id-", "zq-note-", "ann@example.com"} {
			if strings.Contains(r.url, v) || bytes.Contains(r.body, []byte(v)) {
				t.Errorf("%s %s carries the cell value %q", r.method, r.url, v)
			}
		}
	}
	if completions != 1 {
		t.Fatalf("%d completions", completions)
	}
	id, _ := s.importerIDs.Load(key)
	var learned struct {
		Learned []struct{ Header, Key string } `json:"learned"`
	}
	s.env.Do(t, "GET", fmt.Sprintf("/api/v1/importers/%s/learned", id), s.env.APIKey, nil, &learned)
	if len(learned.Learned) != 1 || learned.Learned[0].Header != "kdnr" || learned.Learned[0].Key != "customer_id" {
		t.Fatalf("learned list %+v, want kdnr → customer_id only", learned.Learned)
	}

	// Opened again with the same header, elsewhere and in capitals: the
	// learned column is proposed, and said to be learned.
	second := writeFile(t, "second.csv", "KDNR,Name,E-mail\nzq-id-2001,Cy,cy@example.com\n")
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{second}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`select[data-key=customer_id]`)),
	)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	if got, err := proposal(); err != nil || got != "0|learned|as chosen before" {
		t.Fatalf("second proposal for customer_id %q (%v), want 0|learned|as chosen before", got, err)
	}
}
