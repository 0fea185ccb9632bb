package widget_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intakehq/intake/internal/browsertest"
)

// The review tests (issue 10): the separator picker and the guard against
// importing nothing, errors readable without a mouse, selecting the rows
// with errors, and the pickers and steps that apply to what was opened.

// browserSession bundles a tab and its helpers for one test.
type browserSession struct {
	t   *testing.T
	ctx context.Context
}

func newBrowserSession(t *testing.T, timeout time.Duration) *browserSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(browsertest.New(t), timeout)
	t.Cleanup(cancel)
	return &browserSession{t: t, ctx: ctx}
}

// do runs actions, failing the test with what the page shows.
func (b *browserSession) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v; page shows %q", what, err, pageText(b.ctx))
	}
}

// eval evaluates js for a string.
func (b *browserSession) eval(js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v; page shows %q", js, err, pageText(b.ctx))
	}
	return v
}

// poll waits until js returns a non-empty string and returns it.
func (b *browserSession) poll(what, js string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Poll[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v; page shows %q", what, err, pageText(b.ctx))
	}
	return v
}

// pick chooses value in the select matching css, as a user would.
func (b *browserSession) pick(css, value string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change")); return s.value; })()`, css, value))
}

// checked waits until every row of the review is checked and returns the counts line.
func (b *browserSession) checked() string {
	b.t.Helper()
	return b.poll("every row checked", `(() => { const t = document.querySelector("[data-testid=counts]")?.textContent ?? ""; return t !== "" && !t.includes("%") && t; })()`)
}

// steps returns the step bar as "name:state" items, state "past", "current" or "".
func (b *browserSession) steps() string {
	b.t.Helper()
	return b.eval(`[...document.querySelectorAll("[data-testid=steps] li")].map((li) => li.textContent + ":" + li.className).join(" ")`)
}

// The two-column ';' file with CRLF of issue 10. Read with ',' it is one
// column that matches no field: nothing would be imported.
const semicolonCRLF = "Name;Email\r\nAnn;ann@example.com\r\nBob;bob@example.com\r\n"

func TestBrowserSeparatorPickerAndEmptyGuard(t *testing.T) {
	b := newBrowserSession(t, 45*time.Second)
	s := newTestServer(t, 0)
	// Invalid rows allowed: nothing but the guard stands between an empty
	// import and its submission.
	key := s.addImporterWith(t, peopleColumns, map[string]any{"allow_invalid": true})
	path := writeFile(t, "people.csv", semicolonCRLF)
	b.do("open", chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)))

	// A CSV has no sheet to choose: the step bar does not show one as done.
	if got, want := b.steps(), "Upload:past Header row:current Match columns: Review: Submit: Done:"; got != want {
		t.Errorf("step bar of a CSV: %q, want %q", got, want)
	}
	// A file read from bytes offers its encoding, and its separator.
	if got := b.eval(`document.querySelector("#encoding")?.value ?? "none"`); got != "utf-8" {
		t.Errorf("encoding picker shows %q, want utf-8", got)
	}
	if b.eval(`document.querySelector("#delimiter")?.value ?? "none"`) != ";" {
		// Detection may not know ';' yet: the picker reads the file again with it.
		b.pick("#delimiter", ";")
		b.poll("the file read with ';'", `document.querySelector("#delimiter")?.value === ";" && "yes"`)
	}
	if got := b.eval(`[...document.querySelectorAll("table.preview tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent).filter(Boolean).join("|")).join(" / ")`); got != "Name|Email / Ann|ann@example.com / Bob|bob@example.com" {
		t.Errorf("preview with ';': %q", got)
	}
	b.do("review with ';'", chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	if counts := b.checked(); !strings.HasPrefix(counts, "2 rows · No errors") {
		t.Errorf("counts with ';': %q", counts)
	}
	if hidden := b.eval(`String(document.querySelector("[data-testid=guard]").hidden)`); hidden != "true" {
		t.Errorf("guard shown for a file with values")
	}

	// Forced wrong to ',': one column, matched to nothing.
	b.do("back to the header row", chromedp.Click(chromedp.CSS(`[data-testid=review-back]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-back]`)),
		chromedp.WaitVisible(chromedp.CSS(`#delimiter`)))
	b.pick("#delimiter", ",")
	b.poll("the file read with ','", `document.querySelector("#delimiter")?.value === "," && document.querySelectorAll("table.preview tr:first-child td").length === 1 && "yes"`)
	b.do("review with ','", chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	b.checked()
	guard := b.poll("the guard", `(() => { const g = document.querySelector("[data-testid=guard]"); return !g.hidden && g.textContent; })()`)
	if !strings.Contains(guard, "The file may use another separator.") {
		t.Errorf("guard says %q", guard)
	}
	if got := b.eval(`document.querySelector("[data-testid=submit]").disabled + " " + document.querySelector("[data-testid=submit-hint]").textContent`); !strings.HasPrefix(got, "true ") || !strings.Contains(got, "another separator") {
		t.Errorf("submit with nothing to import: %q, want disabled with the reason beside it", got)
	}
	// Clicking the disabled button sends nothing.
	b.eval(`document.querySelector("[data-testid=submit]").click(); "clicked"`)
	time.Sleep(300 * time.Millisecond)
	if b.eval(`document.querySelector("[data-testid=done]") ? "done" : "review"`) != "review" {
		t.Fatal("an import with every cell empty was submitted")
	}

	// The guard offers the separator picker: ';' again, and the rows are back.
	b.pick("[data-testid=guard] #delimiter", ";")
	b.do("header row again", chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	b.checked()
	b.do("submit", chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)))
	if done := b.eval(`document.querySelector("[data-testid=done]").textContent`); !strings.Contains(done, "2 rows imported.") {
		t.Errorf("done says %q", done)
	}
	rows, _ := s.storedRows(t, key)
	if len(rows) != 2 || deref(rows[0]["name"]) != "Ann" || deref(rows[1]["email"]) != "bob@example.com" {
		t.Errorf("stored %d rows", len(rows))
	}
}

func TestBrowserCellStatusAndSelectErrors(t *testing.T) {
	b := newBrowserSession(t, 45*time.Second)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	path := writeFile(t, "people.csv", "Name,Email\nAnn,ann@example.com\nBob,bob@@example\nCy,cy@@example\nDi,di@example.com\n")
	if err := openToReview(b.ctx, s.URL, key, path); err != nil {
		t.Fatalf("%v; page shows %q", err, pageText(b.ctx))
	}
	if counts := b.checked(); !strings.HasPrefix(counts, "4 rows · 2 rows with errors") {
		t.Errorf("counts %q", counts)
	}
	// Why submitting is refused is text beside the button, not only a title.
	if got := b.eval(`document.querySelector("[data-testid=submit]").disabled + " " + document.querySelector("[data-testid=submit-hint]").textContent`); got != "true Fix the errors to submit." {
		t.Errorf("submit and its hint: %q", got)
	}
	// Keyboard: the focused cell's error is in the status line; moving to a
	// valid cell clears it.
	status := func() string { return b.eval(`document.querySelector("[data-testid=cell-status]").textContent`) }
	b.eval(`document.querySelector('.grid-row:not([hidden])[data-pos="1"] [data-col="1"]').focus(); "focused"`)
	if got := status(); got != "Row 2, Email: Must be an email address." {
		t.Errorf("status line of the focused invalid cell: %q", got)
	}
	b.do("move left", chromedp.SendKeys(chromedp.CSS(`:focus`), kb.ArrowLeft))
	if got := status(); got != "" {
		t.Errorf("status line of a valid cell: %q", got)
	}
	// The pointer over another invalid cell shows its message instead.
	b.eval(`document.querySelector('.grid-row:not([hidden])[data-pos="2"] [data-col="1"]').dispatchEvent(new MouseEvent("mouseover", {bubbles: true})); "hovered"`)
	if got := status(); got != "Row 3, Email: Must be an email address." {
		t.Errorf("status line of the hovered invalid cell: %q", got)
	}

	// Select the rows with errors, delete them, submit what is left.
	b.do("select the rows with errors", chromedp.Click(chromedp.CSS(`[data-testid=select-errors]:not([disabled])`)))
	if got := b.poll("delete enabled", `(() => { const d = document.querySelector("[data-testid=delete]"); return !d.disabled && d.textContent; })()`); got != "Delete 2 selected rows" {
		t.Errorf("delete button %q", got)
	}
	if got := b.eval(`[...document.querySelectorAll(".grid-row:not([hidden]) input:checked")].map((c) => c.closest(".grid-row").dataset.index).join(",")`); got != "1,2" {
		t.Errorf("rows selected: %q, want 1,2", got)
	}
	b.do("delete", chromedp.Click(chromedp.CSS(`[data-testid=delete]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.grid-cell.invalid`)))
	if counts := b.checked(); !strings.HasPrefix(counts, "2 rows · No errors") {
		t.Errorf("counts after the deletion %q", counts)
	}
	b.do("submit", chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)))
	rows, _ := s.storedRows(t, key)
	got := []string{}
	for _, r := range rows {
		got = append(got, deref(r["name"]))
	}
	if strings.Join(got, " ") != "Ann Di" {
		t.Errorf("stored %q", got)
	}
}

func TestBrowserPastedTextHasNoPickers(t *testing.T) {
	b := newBrowserSession(t, 30*time.Second)
	s := newTestServer(t, 0)
	key := s.addImporter(t, peopleColumns)
	b.do("open", chromedp.Navigate(s.URL+"/i/"+key), chromedp.WaitReady(chromedp.CSS(".drop")))
	b.eval(`(() => { const dt = new DataTransfer(); dt.setData("text/plain", "Name\tEmail\nAnn\tann@example.com\n");
		document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true})); return "pasted"; })()`)
	b.do("header row", chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)))
	// Pasted cells are a string: no encoding to pick, and always tabs.
	if got := b.eval(`["#encoding", "#delimiter"].filter((q) => document.querySelector(q)).join(" ")`); got != "" {
		t.Errorf("pickers shown for pasted text: %q", got)
	}
	if got, want := b.steps(), "Upload:past Header row:current Match columns: Review: Submit: Done:"; got != want {
		t.Errorf("step bar of pasted text: %q, want %q", got, want)
	}
}

func TestBrowserHeaderlessSheetAndBlankRows(t *testing.T) {
	b := newBrowserSession(t, 45*time.Second)
	s := newTestServer(t, 0)
	key := s.addImporter(t, []templateColumn{{Key: "day", Label: "Date", Type: "text"}, {Key: "amount", Label: "Amount", Type: "text"}})
	// Numbers and dates from the first row, two blank rows among them.
	path := writeFile(t, "amounts.csv", "2006-01-02,12.5\n\n2006-01-03,7\n , \n2006-01-04,3\n")
	b.do("open", chromedp.Navigate(s.URL+"/i/"+key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)))
	// The first row is data and names no field: "no header row" is proposed.
	if got := b.eval(`String(document.querySelector("[data-testid=no-header]").checked)`); got != "true" {
		t.Errorf("no header row proposed: %s, want true", got)
	}
	if got := b.eval(`document.querySelector("[data-testid=blank-rows]")?.textContent ?? ""`); got != "2 blank rows were skipped." {
		t.Errorf("blank rows note %q", got)
	}
	b.do("matching", chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)), chromedp.WaitVisible(chromedp.CSS(`#map-0`)))
	b.pick("#map-0", "0")
	b.pick("#map-1", "1")
	b.do("review", chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)), chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	if counts := b.checked(); !strings.HasPrefix(counts, "3 rows · No errors") {
		t.Errorf("counts %q", counts)
	}
	// Select all, then the same button clears the selection.
	deleteText := func() string { return b.eval(`document.querySelector("[data-testid=delete]").textContent`) }
	b.do("select all", chromedp.Click(chromedp.CSS(`[data-testid=select-all]:not([disabled])`)))
	if got := b.poll("all selected", `document.querySelector("[data-testid=select-all]").textContent === "Clear selection" && document.querySelector("[data-testid=delete]").textContent`); got != "Delete 3 selected rows" {
		t.Errorf("after select all: %q", got)
	}
	b.do("clear", chromedp.Click(chromedp.CSS(`[data-testid=select-all]`)))
	if got := deleteText(); got != "Delete 0 selected rows" {
		t.Errorf("after clearing: %q", got)
	}
	b.do("submit", chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)))
	if done := b.eval(`document.querySelector("[data-testid=done]").textContent`); !strings.Contains(done, "3 rows imported.") {
		t.Errorf("done says %q", done)
	}
	rows, _ := s.storedRows(t, key)
	if len(rows) != 3 || deref(rows[0]["day"]) != "2006-01-02" || deref(rows[2]["amount"]) != "3" {
		t.Errorf("stored %d rows", len(rows))
	}
}
