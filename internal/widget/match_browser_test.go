package widget_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/server/servertest"
)

// recorded is one request the page (or its worker) sent.
type recorded struct {
	method, url string
	body        []byte
}

// newRecordingServer is a testServer whose proxy keeps every request, body
// and URL, gunzipping chunk bodies, so that a test can say which value left
// the browser and how.
func newRecordingServer(t *testing.T) (*testServer, func() []recorded) {
	t.Helper()
	s := &testServer{}
	s.env = servertest.Start(t, servertest.Options{})
	h := s.env.Server.Handler
	var mu sync.Mutex
	var seen []recorded
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		kept := body
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				kept = plain
			}
		}
		mu.Lock()
		seen = append(seen, recorded{r.Method, r.URL.String(), kept})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	s.URL = proxy.URL
	return s, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

// TestBrowserMatchStep: the matching step proposes by names and by sampled
// values (a column of e-mail addresses under "Contact" is the email, as a
// guess), says how sure it is in words, lists the required field still
// unmatched first, and sets a field to "Not in my file" with one key
// (Delete). No sampled value leaves the browser but in the rows upload: a
// column that is sampled and not matched is in no request at all, and a
// matched one only in the chunks.
func TestBrowserMatchStep(t *testing.T) {
	ctx := browsertest.New(t)
	s, requests := newRecordingServer(t)
	key := s.addImporter(t, []templateColumn{
		{Key: "name", Label: "Name", Type: "text"},
		{Key: "email", Label: "Email", Type: "email", Required: true},
		{Key: "website", Label: "Website", Type: "url"},
		{Key: "tax_id", Label: "Tax ID", Type: "text", Required: true},
	})
	var csv strings.Builder
	csv.WriteString("Full name,Contact,Profile,Secret,Code\n")
	for i := range 12 {
		fmt.Fprintf(&csv, "Person %d,person%d@example.org,https://example%d.com/,zq-secret-%d,DE%09d\n", i, i, i, i, i)
	}
	path := writeFile(t, "people.csv", csv.String())
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`#map-0`)),
	)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
	  values: [...document.querySelectorAll("select[data-key]")].map((s) => s.dataset.key + "=" + s.value),
	  levels: [...document.querySelectorAll("[data-testid^=map-level-]")].map((l) => l.dataset.testid.slice(10) + "=" + l.dataset.level + ":" + l.textContent.trim()),
	  first: document.querySelector(".mapping tbody tr").dataset.column,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	// Rows in table order: the required Tax ID, unmatched, first.
	want := `{"values":["tax_id=","name=0","email=1","website=2"],"levels":["tax_id=:","name=likely:likely match","email=guess:guess — please check","website=guess:guess — please check"],"first":"tax_id"}`
	if state != want {
		t.Errorf("matching step\n got %s\nwant %s", state, want)
	}
	// Delete on a list sets its field to "Not in my file".
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(`#map-2`)),
		chromedp.KeyEvent(kb.Delete),
	)
	if err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#map-2").value + "|" + document.querySelector("[data-testid=map-level-website]").textContent`))
	if err != nil || after != "|" {
		t.Errorf("after Delete: %q (%v), want the field unmatched and no level", after, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const s = document.querySelector("#map-3"); s.value = "4"; s.dispatchEvent(new Event("change")); return s.value; })()`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, browsertest.SubmitFromMatching()...)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	chunks := 0
	for _, r := range requests() {
		isChunk := r.method == http.MethodPut && strings.Contains(r.url, "/chunks/")
		if isChunk {
			chunks++
		}
		for _, v := range []string{"zq-secret-3", "https://example3.com"} {
			if strings.Contains(r.url, v) || bytes.Contains(r.body, []byte(v)) {
				t.Errorf("%s %s carries the unmatched sampled value %q", r.method, r.url, v)
			}
		}
		if !isChunk && (strings.Contains(r.url, "person3@example.org") || bytes.Contains(r.body, []byte("person3@example.org"))) {
			t.Errorf("%s %s carries a sampled value outside the rows upload", r.method, r.url)
		}
		if isChunk && !bytes.Contains(r.body, []byte("person3@example.org")) {
			t.Errorf("chunk %s does not hold the matched e-mail column: the recorder sees nothing", r.url)
		}
	}
	if chunks == 0 {
		t.Error("no chunk was uploaded")
	}
}
