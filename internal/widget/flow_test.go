package widget_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intakehq/intake/internal/browsertest"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// peopleColumns is the template of most flow tests: a name, and an email
// that is required.
var peopleColumns = []templateColumn{{Key: "name", Label: "Name", Type: "text"}, {Key: "email", Label: "Email", Type: "email", Required: true}}

// openToReview runs the flow up to the review grid.
func openToReview(ctx context.Context, base, key, path string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
	)
}

func TestBrowserFixInvalidEmail(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@@example\nCy,cy@example.com\n")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := openToReview(ctx, s.URL, key, path); err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	// Validation runs in the background: wait until every row is checked.
	counts, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.querySelector("[data-testid=counts]").textContent; return !t.includes("%") && t; })()`))
	if err != nil || !strings.Contains(counts, "3 rows") || !strings.Contains(counts, "1 row with errors") {
		t.Fatalf("counts %q, %v", counts, err)
	}
	// Submitting is refused while an error remains (the importer does not
	// allow invalid rows), and the filter shows only the bad row.
	err = chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`[data-testid=submit][disabled]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=errors-only]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".grid-body .grid-row:not([hidden])").length`))
	if err != nil || shown != 1 {
		t.Fatalf("errors-only shows %d rows (%v), want 1", shown, err)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".grid-cell.invalid").title`))
	if err != nil || title != "Must be an email address." {
		t.Errorf("invalid cell message %q (%v)", title, err)
	}
	err = chromedp.Do(ctx,
		chromedp.DoubleClick(chromedp.CSS(`.grid-cell.invalid`)),
		chromedp.SendKeys(chromedp.CSS(`.grid-editor`), "bob@example.com"+kb.Enter),
		chromedp.WaitNotPresent(chromedp.CSS(`.grid-cell.invalid`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
	)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	// Privacy: no cookie, nothing in localStorage, no cell value in sessionStorage.
	storage, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify([document.cookie, localStorage.length, JSON.stringify({...sessionStorage})])`))
	if err != nil || strings.Contains(storage, "example.com") || !strings.HasPrefix(storage, `["",0,`) {
		t.Errorf("browser storage after the import: %s (%v)", storage, err)
	}
	rows, _ := s.storedRows(t, key)
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = deref(r["name"]) + " " + deref(r["email"])
	}
	want := "Ann ann@example.com|Bob bob@example.com|Cy cy@example.com"
	if strings.Join(got, "|") != want {
		t.Errorf("stored %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestBrowserResumeAfterServerStopAndReload(t *testing.T) {
	ctx := browsertest.New(t)
	// Small chunks so that the file needs many.
	s := newTestServer(t, 4096)
	key := s.addImporter(t, []templateColumn{{Key: "id", Label: "id", Type: "text"}, {Key: "email", Label: "email", Type: "email"}})
	var b strings.Builder
	b.WriteString("id,email\n")
	const n = 3000
	for i := range n {
		fmt.Fprintf(&b, "%d,user%d@example.com\n", i, i)
	}
	path := writeFile(t, "many.csv", b.String())
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// The server stops once 5 chunks went through; the widget keeps retrying.
	s.stopAfter.Store(5)
	err := openToReview(ctx, s.URL, key, path)
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)))
	}
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("[data-testid=progress]")?.textContent.includes("retrying")`))
	}
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	// The user reloads the importer, the server comes back, the user picks
	// the same file again: the upload resumes the same import.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	s.stopAfter.Store(0)
	s.stopped.Store(false)
	if err := importFile(ctx, s.URL, key, path, false); err != nil {
		t.Fatal(err)
	}
	// storedRows insists on exactly one completed import: the upload resumed
	// the session it had opened instead of starting another.
	rows, _ := s.storedRows(t, key)
	if len(rows) != n {
		t.Fatalf("stored %d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		if deref(r["id"]) != fmt.Sprint(i) || deref(r["email"]) != fmt.Sprintf("user%d@example.com", i) {
			t.Fatalf("row %d = %q %q", i, deref(r["id"]), deref(r["email"]))
		}
	}
}

func TestBrowserPasteAndKeyboard(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Cells copied from a spreadsheet arrive as tab-separated text.
	paste := `(() => { const dt = new DataTransfer(); dt.setData("text/plain", "Name\tEmail\nAnn\tann@example\nBob\tbob@example.com\n");
		document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true})); return true; })()`
	err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/i/"+key), chromedp.WaitReady(chromedp.CSS(".drop")))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](paste))
	}
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
			chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
			chromedp.WaitReady(chromedp.CSS(`.grid-cell.invalid`)),
		)
	}
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	// Keyboard only: focus the first cell, move right to the email, open the
	// editor with Enter, type, Enter saves and the cell is valid again.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('.grid-row:not([hidden]) [data-col="0"]').focus(); true`))
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS(`:focus`), kb.ArrowRight),
			chromedp.SendKeys(chromedp.CSS(`:focus`), kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`.grid-editor`)),
			chromedp.SendKeys(chromedp.CSS(`.grid-editor`), "ann@example.com"+kb.Enter),
			chromedp.WaitNotPresent(chromedp.CSS(`.grid-cell.invalid`)),
			chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
		)
	}
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	rows, _ := s.storedRows(t, key)
	if len(rows) != 2 || deref(rows[0]["email"]) != "ann@example.com" || deref(rows[1]["name"]) != "Bob" {
		t.Errorf("stored %d rows: %q %q", len(rows), deref(rows[0]["email"]), deref(rows[1]["name"]))
	}
}

func TestBrowserReplaceAndDelete(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.invalid-\nBob,bob@example.invalid-\nCy,cy@example.com\n")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := openToReview(ctx, s.URL, key, path); err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	err := chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`[data-testid=errors-only]:not([disabled])`)),
		chromedp.SendKeys(chromedp.CSS(`#find`), ".invalid-"),
		chromedp.SendKeys(chromedp.CSS(`#replace`), ".org"),
		chromedp.Click(chromedp.CSS(`.tools button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.grid-cell.invalid`)),
		// Delete the first row (Ann).
		chromedp.Click(chromedp.CSS(`.grid-row:not([hidden]) input[type=checkbox]`)),
		chromedp.Click(chromedp.CSS(`.tools button:last-child:not([disabled])`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
	)
	if err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(ctx))
	}
	rows, _ := s.storedRows(t, key)
	got := []string{}
	for _, r := range rows {
		got = append(got, deref(r["email"]))
	}
	if strings.Join(got, " ") != "bob@example.org cy@example.com" {
		t.Errorf("stored %q", got)
	}
}

// TestBrowserBackKeepsEdits reviews with a matching the user changed (name
// left unmatched), fixes a cell, goes back to the matching step: the
// matching shown is the user's, not the proposal. Matching name after all
// keeps the fix (and now shows the names). One step further back, another
// header row would start over: that warns, and picking the old one again
// withdraws the warning.
func TestBrowserBackKeepsEdits(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@@example\n")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	eval := func(js string) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	warning := func() string { return eval(`document.querySelector(".warning")?.textContent ?? ""`) }
	choose := func(column, source string) {
		eval(fmt.Sprintf(`(() => { const s = document.querySelector("#map-%s"); s.value = %q; s.dispatchEvent(new Event("change")); return s.value; })()`, column, source))
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v; page shows %q", what, err, pageText(ctx))
		}
	}
	step("open", chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`#map-0`)))
	choose("0", "")
	step("review and fix", chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
		chromedp.DoubleClick(chromedp.CSS(`.grid-cell.invalid`)),
		chromedp.SendKeys(chromedp.CSS(`.grid-editor`), "bob@example.com"+kb.Enter),
		chromedp.WaitNotPresent(chromedp.CSS(`.grid-cell.invalid`)),
		chromedp.Click(chromedp.CSS(`[data-testid=review-back]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=map-next]`)))
	if got := eval(`document.querySelector("#map-0").value + "," + document.querySelector("#map-1").value`); got != ",1" {
		t.Errorf("matching shown after coming back: %q, want the reviewed one \",1\"", got)
	}
	choose("0", "0")
	if w := warning(); w != "" {
		t.Errorf("warning for another matching of the same rows: %q", w)
	}
	step("another header row", chromedp.Click(chromedp.CSS(`[data-testid=map-back]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`tr[data-row="1"]`)))
	if w := warning(); !strings.Contains(w, "will be lost") {
		t.Errorf("no warning for another header row: %q", w)
	}
	step("the old header row", chromedp.Click(chromedp.CSS(`tr[data-row="0"]`)))
	if w := warning(); w != "" {
		t.Errorf("warning after picking the reviewed header row again: %q", w)
	}
	step("matching", chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`#map-0`)))
	choose("0", "0")
	step("review again", chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	grid, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.querySelector(".grid-body").textContent; return t.includes("Bob") && t; })()`))
	if err != nil || !strings.Contains(grid, "bob@example.com") || strings.Contains(grid, "bob@@example") {
		t.Fatalf("grid after a new matching: %q (%v)", grid, err)
	}
}

// TestBrowserUploadOnFastLink: over loopback the link outruns gzip, so
// after the first chunks (gzip'd while the link is unknown, but for a probe)
// the widget sends the JSON as it is; the server must store every row the
// same either way, rows that go into the JSON as packed (nothing to escape)
// and rows with quotes, backslashes, control characters and emoji alike.
func TestBrowserUploadOnFastLink(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	key := s.addImporter(t, []templateColumn{{Key: "id", Label: "id", Type: "text"}, {Key: "name", Label: "name", Type: "text"}, {Key: "note", Label: "note", Type: "text"}})
	const n = 80_000
	names := []string{"Ann", `say "hi"`, `back\slash`, "tab\there", "emoji 😀", "é東", ""}
	note := func(i int) string {
		return fmt.Sprintf("note %d about the customer's order and its delivery", i*7919%100_003)
	}
	var b strings.Builder
	b.WriteString("id,name,note\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%s,%s\n", i, csvCell(names[i%len(names)]), note(i))
	}
	path := writeFile(t, "fast.csv", b.String())
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := importFile(ctx, s.URL, key, path, false); err != nil {
		t.Fatal(err)
	}
	rows, total := s.storedRows(t, key)
	if total != n || len(rows) != n {
		t.Fatalf("stored %d rows (total %d), want %d", len(rows), total, n)
	}
	for i, r := range rows {
		// An empty cell is stored as null.
		name := names[i%len(names)]
		if name == "" {
			name = deref(nil)
		}
		if deref(r["id"]) != fmt.Sprint(i) || deref(r["name"]) != name || deref(r["note"]) != note(i) {
			t.Fatalf("row %d = %q %q %q", i, deref(r["id"]), deref(r["name"]), deref(r["note"]))
		}
	}
	s.served.mu.Lock()
	chunks, gzipped := len(s.served.chunks), s.served.gzipped
	s.served.mu.Unlock()
	t.Logf("%d chunks, %d gzip'd", chunks, gzipped)
	// The first is gzip'd (nothing known yet), the second is the probe sent
	// as it is; how many more go so depends on this machine's load (the
	// benchmark counts them).
	if gzipped == 0 || gzipped == chunks {
		t.Errorf("%d of %d chunks gzip'd, want some of each", gzipped, chunks)
	}
}

// csvCell quotes a CSV cell that holds a quote, a comma or a line break.
func csvCell(v string) string {
	if strings.ContainsAny(v, "\",\n\r") {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}
