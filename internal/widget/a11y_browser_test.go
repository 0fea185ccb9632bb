package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intakehq/intake/internal/browsertest"
)

// The accessibility tests (issue 13): axe-core on every step in two
// locales and both themes, the importer as a modal dialog driven by the
// keyboard alone, and a whole import with errors in three columns found,
// fixed, undone and redone with key presses only.

// a11yColumns has three columns that can each be wrong in its own way.
var a11yColumns = []templateColumn{
	{Key: "name", Label: "Name", Type: "text", Required: true},
	{Key: "email", Label: "Email", Type: "email"},
	{Key: "amount", Label: "Amount", Type: "number"},
}

// embedHost serves a host page on an origin of its own whose button opens
// the importer key with the locale and theme mode of its query.
func embedHost(t *testing.T, intake string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Host app</title></head><body><main><h1>Host app</h1>
<button id="open" type="button">Import contacts</button></main>
<script src="%s/embed.js"></script><script src="/open.js?%s"></script></body></html>`, intake, r.URL.RawQuery)
	})
	mux.HandleFunc("GET /open.js", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		opts, _ := json.Marshal(map[string]any{"importer": q.Get("key"), "locale": q.Get("locale"), "theme": map[string]string{"mode": q.Get("mode")}})
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, `window.closes = 0;
document.getElementById("open").addEventListener("click", () => Intake.open(Object.assign(%s, {onClose: () => window.closes++})));`, opts)
	})
	host := httptest.NewServer(mux)
	t.Cleanup(host.Close)
	return host
}

// twoSheets is a workbook of two sheets (the same cells), so that the
// sheet step shows; its rows have errors in every column.
func twoSheets(t *testing.T, rows int) string {
	t.Helper()
	var b strings.Builder
	cell := func(ref, v string) string {
		return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
	}
	b.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	b.WriteString(`<row r="1">` + cell("A1", "Name") + cell("B1", "Email") + cell("C1", "Amount") + `</row>`)
	for i := 2; i <= rows+1; i++ {
		name, email, amount := fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d@example.com", i), fmt.Sprint(i)
		switch i % 10 {
		case 3:
			name = ""
		case 5:
			email = "not-an-email"
		case 7:
			amount = "lots"
		}
		fmt.Fprintf(&b, `<row r="%d">%s%s%s</row>`, i, cell(fmt.Sprintf("A%d", i), name), cell(fmt.Sprintf("B%d", i), email), cell(fmt.Sprintf("C%d", i), amount))
	}
	b.WriteString(`</sheetData></worksheet>`)
	sheets := `<sheet name="Contacts" sheetId="1" r:id="rId1"/><sheet name="Copy" sheetId="2" r:id="rId1"/>`
	path := filepath.Join(t.TempDir(), "contacts.xlsx")
	if err := os.WriteFile(path, xlsxWith(t, sheets, []byte(b.String())), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserA11yAxe runs axe-core (WCAG 2.2 AA) on every step of the
// importer, embedded in a host page, in English and German, light and dark.
func TestBrowserA11yAxe(t *testing.T) {
	axe, err := browsertest.AxeSource()
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, 2048)
	host := embedHost(t, s.URL)
	key := s.addImporterWith(t, a11yColumns, map[string]any{"allowed_origins": []string{host.URL}, "allow_invalid": true})
	path := twoSheets(t, 300)
	for _, locale := range []string{"en", "de"} {
		for _, mode := range []string{"light", "dark"} {
			t.Run(locale+"-"+mode, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(browsertest.New(t), 90*time.Second)
				defer cancel()
				fail := func(what string, err error) {
					t.Helper()
					t.Fatalf("%s: %v; page shows %q", what, err, pageText(ctx))
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/?"+url.Values{"key": {key}, "locale": {locale}, "mode": {mode}}.Encode()),
					chromedp.WaitReady(chromedp.CSS(`#open`)), chromedp.Click(chromedp.CSS(`#open`))); err != nil {
					fail("open", err)
				}
				frame, err := browsertest.Frame(ctx, `.drop`)
				if err != nil {
					fail("importer", err)
				}
				in := chromedp.FromNode(frame)
				check := func(step string) {
					t.Helper()
					found, err := browsertest.Axe(ctx, axe, frame)
					if err != nil {
						fail(step, err)
					}
					for _, v := range found {
						t.Errorf("%s step: %s", step, v)
					}
				}
				inFrame := func(js string) string {
					t.Helper()
					v, err := chromedp.Run(ctx, chromedp.Poll[string](js, chromedp.WithPollingInFrame(frame), chromedp.WithPollingTimeout(30*time.Second)))
					if err != nil {
						fail(js, err)
					}
					return v
				}
				if got := inFrame(`document.documentElement.lang + " " + (document.documentElement.dataset.theme || "light")`); got != locale+" "+mode {
					t.Fatalf("importer in %q, want %s %s", got, locale, mode)
				}
				check("upload")
				// The host page with the importer open (the overlay is a modal dialog).
				if found, err := browsertest.Axe(ctx, axe, nil); err != nil {
					fail("host", err)
				} else {
					for _, v := range found {
						t.Errorf("host page with the importer open: %s", v)
					}
				}
				if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}, in),
					chromedp.WaitVisible(chromedp.CSS(`input[name=sheet]`), in)); err != nil {
					fail("sheet step", err)
				}
				check("sheet")
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.actions button.primary`), in),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`), in)); err != nil {
					fail("header step", err)
				}
				check("header")
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=header-next]`), in),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid=map-next]`), in)); err != nil {
					fail("match step", err)
				}
				check("match")
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=map-next]`), in),
					chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`), in)); err != nil {
					fail("review step", err)
				}
				inFrame(`!document.querySelector("[data-testid=errors-panel]").hidden && "groups"`)
				// The panels open, an error cell focused: all of the review is checked.
				inFrame(`(() => { document.querySelectorAll("details").forEach((d) => d.open = true);
					document.querySelector(".grid-cell[aria-invalid=true]").focus(); return "open"; })()`)
				check("review")
				// The server stops after the first chunk: the submit step shows its progress and retries.
				s.chunks.Store(0)
				s.stopAfter.Store(1)
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`), in)); err != nil {
					fail("submit", err)
				}
				inFrame(`document.querySelector("progress") && document.querySelector("progress").value > 0 && "sending"`)
				if locale == "en" {
					// Progress is said in the live region, not only drawn.
					inFrame(`/^(Step 5 of 7: Submit )?Sending [\d,]+ of 300 rows…|Connection trouble/.test(document.querySelector("[data-testid=live]").textContent) && "said"`)
				}
				check("submit")
				s.stopAfter.Store(0)
				s.stopped.Store(false)
				inFrame(`(() => { const r = document.querySelector("[data-testid=resume]"); if (r) r.click(); return !!document.querySelector("[data-testid=done]") && "done"; })()`)
				if locale == "en" {
					inFrame(`/300 rows imported\./.test(document.querySelector("[data-testid=live]").textContent) && "said"`)
				}
				check("done")
			})
		}
	}
}

// keys is a browser tab driven by key presses only: no mouse event is sent.
type keys struct {
	t     *testing.T
	ctx   context.Context
	frame *chromedp.Node // the importer's iframe, or nil on the hosted page
}

func (k *keys) fail(what string, err error) {
	k.t.Helper()
	k.t.Fatalf("%s: %v; page shows %q", what, err, pageText(k.ctx))
}

// press sends key presses (kb.Tab, kb.Enter, text…) with modifiers.
func (k *keys) press(what, keys string, mods ...chromedp.Modifier) {
	k.t.Helper()
	var opts []chromedp.KeyOption
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	if err := chromedp.Do(k.ctx, chromedp.KeyEvent(keys, opts...)); err != nil {
		k.fail(what, err)
	}
}

// app evaluates js in the importer's document until it is truthy.
func (k *keys) app(what, js string) string {
	k.t.Helper()
	opts := []chromedp.PollOption{chromedp.WithPollingTimeout(20 * time.Second)}
	if k.frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(k.frame))
	}
	v, err := chromedp.Run(k.ctx, chromedp.Poll[string](js, opts...))
	if err != nil {
		k.fail(what, err)
	}
	return v
}

// now evaluates js in the importer's document once.
func (k *keys) now(js string) string {
	k.t.Helper()
	return k.app(js, fmt.Sprintf(`String((() => %s)())`, js))
}

// tabTo presses Tab until the focused element matches css.
func (k *keys) tabTo(css string) {
	k.t.Helper()
	for range 80 {
		if k.now(fmt.Sprintf(`document.activeElement?.matches(%q) ?? false`, css)) == "true" {
			return
		}
		k.press("Tab to "+css, kb.Tab)
	}
	k.t.Fatalf("Tab never reached %s; focus is on %s", css, k.now(`document.activeElement?.outerHTML.slice(0, 200)`))
}

// focused describes the focused element: its test id, id or tag.
func (k *keys) focused() string {
	return k.now(`(() => { const e = document.activeElement; return e?.dataset.testid || e?.id || e?.tagName.toLowerCase() || ""; })()`)
}

// axNode returns the accessible name and description Chrome computes for
// the focused element of the hosted page.
func (k *keys) axNode() (name, description string) {
	k.t.Helper()
	nodes, err := chromedp.Run(k.ctx, chromedp.Nodes(chromedp.CSS(`:focus`)))
	if err != nil || len(nodes) != 1 {
		k.fail("the focused node", fmt.Errorf("%d nodes: %w", len(nodes), err))
	}
	tree, err := chromedp.Call(k.ctx, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{BackendNodeID: nodes[0].BackendNodeID, FetchRelatives: new(bool)})
	if err != nil || len(tree.Nodes) == 0 {
		k.fail("the accessibility tree", fmt.Errorf("%d nodes: %w", len(tree.Nodes), err))
	}
	str := func(v *accessibility.Value) string {
		if v == nil {
			return ""
		}
		var s string
		_ = json.Unmarshal(v.Value, &s)
		return s
	}
	return str(tree.Nodes[0].Name), str(tree.Nodes[0].Description)
}

// TestBrowserKeyboardOnlyImport imports a file with errors in three
// columns with the keyboard alone: each error is found with F8, one is
// fixed by editing, one by a bulk fix and one by deleting its rows; the
// deletion is undone and redone; the rows are submitted. A focused error
// cell's accessible name holds its column label, its description the error.
func TestBrowserKeyboardOnlyImport(t *testing.T) {
	s := newTestServer(t, 0)
	key := s.addImporter(t, a11yColumns)
	path := writeFile(t, "contacts.csv", "Name,Email,Amount\nAnn,ann@example.com,1\nBob,bob@@example,2\n,cy@example.com,3\nDi,di@example.com,lots\nEd,ed@example.com,5\n")
	ctx, cancel := context.WithTimeout(browsertest.New(t), 90*time.Second)
	defer cancel()
	k := &keys{t: t, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/i/"+key), chromedp.WaitReady(chromedp.CSS(`.drop`))); err != nil {
		k.fail("open", err)
	}
	// Focus is in the importer at once, and the file input is no Tab stop.
	if got := k.app("focus on the drop zone", `document.activeElement?.classList.contains("drop") && "drop"`); got != "drop" {
		t.Fatalf("focus on %q", got)
	}
	if got := k.now(`document.querySelector("input[type=file]").tabIndex`); got != "-1" {
		t.Errorf("file input tabIndex %s, want -1", got)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path})); err != nil {
		k.fail("choose the file", err)
	}
	k.app("header step", `document.querySelector("[data-testid=header-next]") && "header"`)
	// The step change is said in the live region.
	if got := k.app("step announced", `document.querySelector("[data-testid=live]")?.textContent`); got != "Step 2 of 6: Header row" {
		t.Errorf("live region says %q", got)
	}
	k.tabTo(`[data-testid=header-next]`)
	k.press("continue", kb.Enter)
	k.app("match step", `document.querySelector("[data-testid=map-next]") && "match"`)
	k.tabTo(`[data-testid=map-next]`)
	k.press("continue", kb.Enter)
	k.app("every row checked", `(() => { const t = document.querySelector("[data-testid=counts]")?.textContent ?? ""; return t.startsWith("5 rows · 3 rows with errors") && !t.includes("%") && t; })()`)

	// Into the grid: one Tab stop, then F8 finds each error in turn.
	k.tabTo(`.grid [tabindex="0"]`)
	if n := k.now(`document.querySelectorAll('.grid [tabindex="0"]').length`); n != "1" {
		t.Errorf("%s Tab stops in the grid, want 1", n)
	}
	k.press("next error", kb.F8)
	k.app("the email error", `document.activeElement.matches('.grid-row[data-pos="1"] [data-col="1"][aria-invalid=true]') && "yes"`)
	if got := k.now(`document.querySelector("[data-testid=cell-status]").textContent`); got != "Row 2, Email: Must be an email address." {
		t.Errorf("status line %q", got)
	}
	name, description := k.axNode()
	if !strings.Contains(name, "Email") || !strings.Contains(name, "bob@@example") || !strings.Contains(description, "Must be an email address") {
		t.Errorf("focused error cell: name %q, description %q; want the column label and value, and the error", name, description)
	}
	if got := k.now(`document.querySelector(".grid").getAttribute("aria-rowcount") + " " + document.activeElement.closest(".grid-row").getAttribute("aria-rowindex")`); got != "6 3" {
		t.Errorf("aria-rowcount and the row's aria-rowindex: %s, want 6 3", got)
	}
	k.press("next error", kb.F8)
	k.app("the name error", `document.activeElement.matches('.grid-row[data-pos="2"] [data-col="0"][aria-invalid=true]') && "yes"`)
	k.press("next error", kb.F8)
	k.app("the amount error", `document.activeElement.matches('.grid-row[data-pos="3"] [data-col="2"][aria-invalid=true]') && "yes"`)
	k.press("previous error", kb.F8, chromedp.ModifierShift)
	k.press("previous error", kb.F8, chromedp.ModifierShift)
	k.app("back to the email error", `document.activeElement.matches('.grid-row[data-pos="1"] [data-col="1"]') && "yes"`)

	// A focused cell shows its whole text; Alt+Shift+Arrow widens its column.
	if got := k.now(`getComputedStyle(document.activeElement).whiteSpace + " " + getComputedStyle(document.activeElement).overflowY`); got != "pre-wrap auto" {
		t.Errorf("focused cell's white-space and overflow: %q, want its whole text shown", got)
	}
	width := func() string {
		return k.now(`document.querySelector('[data-resize="1"]').getAttribute("aria-valuenow") + " " + document.activeElement.getBoundingClientRect().width`)
	}
	if got := width(); got != "160 160" {
		t.Errorf("Email column before resizing: %q", got)
	}
	k.press("wider", kb.ArrowRight, chromedp.ModifierAlt, chromedp.ModifierShift)
	k.press("wider", kb.ArrowRight, chromedp.ModifierAlt, chromedp.ModifierShift)
	k.press("narrower", kb.ArrowLeft, chromedp.ModifierAlt, chromedp.ModifierShift)
	if got := width(); got != "180 180" {
		t.Errorf("Email column after two steps wider and one narrower: %q, want 180 180", got)
	}
	if got := k.now(`document.activeElement.matches('.grid-row[data-pos="1"] [data-col="1"]')`); got != "true" {
		t.Errorf("resizing moved the focus")
	}

	// 1. Edit: Enter opens the editor, Escape cancels, F2 again, Enter saves.
	k.press("edit", kb.Enter)
	k.app("editor", `document.activeElement.classList.contains("grid-editor") && "yes"`)
	k.press("type", "x")
	k.press("cancel", kb.Escape)
	k.app("cancelled", `document.activeElement.matches('[data-col="1"]') && document.activeElement.textContent === "bob@@example" && "yes"`)
	k.press("edit again", kb.F2)
	k.app("editor", `document.activeElement.classList.contains("grid-editor") && "yes"`)
	k.press("select all", "a", chromedp.ModifierCtrl)
	k.press("type", "bob@example.com")
	k.press("save", kb.Enter)
	k.app("fixed by editing", `(() => { const t = document.querySelector("[data-testid=counts]").textContent; return t.includes("2 rows with errors") && t; })()`)

	// 2. A bulk fix from the errors panel: fill the empty names.
	k.tabTo(`[data-testid=errors-panel] > summary`)
	k.press("open the errors panel", kb.Enter)
	k.tabTo(`[data-testid=group-fix][aria-label*="Name"]`)
	k.press("fix these rows", kb.Enter)
	k.app("fix form", `document.activeElement.matches("[data-testid=fix-action]") && "yes"`)
	k.press("fill empty cells", kb.End)
	k.app("fill chosen", `document.activeElement.value === "fill" && "yes"`)
	k.tabTo(`[data-testid=fix-value]`)
	k.press("type", "Unknown")
	k.tabTo(`[data-testid=apply-fix]`)
	k.press("apply", kb.Enter)
	k.app("fixed in bulk", `(() => { const t = document.querySelector("[data-testid=counts]").textContent; return t.includes("1 row with errors") && t; })()`)

	// 3. Delete the rows of the last error from the panel, undo, redo.
	k.tabTo(`[data-testid=group-delete][aria-label*="Amount"]`)
	k.press("delete these rows", kb.Enter)
	k.app("deleted", `document.querySelector("[data-testid=counts]").textContent.startsWith("4 rows · No errors") && "yes"`)
	k.app("undo possible", `!document.querySelector("[data-testid=undo]").disabled && "yes"`)
	k.tabTo(`[data-testid=undo]`)
	k.press("undo", "z", chromedp.ModifierCtrl)
	k.app("undone", `(() => { const t = document.querySelector("[data-testid=counts]").textContent; return t.startsWith("5 rows · 1 row with errors") && !t.includes("%") && t; })()`)
	k.app("redo possible", `!document.querySelector("[data-testid=redo]").disabled && "yes"`)
	k.press("redo", "z", chromedp.ModifierCtrl, chromedp.ModifierShift)
	k.app("redone", `(() => { const t = document.querySelector("[data-testid=counts]").textContent; return t.startsWith("4 rows · No errors") && !t.includes("%") && t; })()`)

	k.tabTo(`[data-testid=submit]:not([disabled])`)
	k.press("submit", kb.Enter)
	k.app("done", `document.querySelector("[data-testid=done]") && "done"`)
	rows, _ := s.storedRows(t, key)
	var got []string
	for _, r := range rows {
		got = append(got, deref(r["name"])+"|"+deref(r["email"])+"|"+deref(r["amount"]))
	}
	if want := "Ann|ann@example.com|1 Bob|bob@example.com|2 Unknown|cy@example.com|3 Ed|ed@example.com|5"; strings.Join(got, " ") != want {
		t.Errorf("stored %q, want %q", strings.Join(got, " "), want)
	}
}

// TestBrowserKeyboardDialog opens the embedded importer from the host's
// button with the keyboard: focus moves into it, Tab stays in it (the file
// input never takes it), Escape closes and focus is back on the button;
// after an edit, closing asks first.
func TestBrowserKeyboardDialog(t *testing.T) {
	s := newTestServer(t, 0)
	host := embedHost(t, s.URL)
	key := s.addImporterWith(t, a11yColumns, map[string]any{"allowed_origins": []string{host.URL}})
	path := writeFile(t, "contacts.csv", "Name,Email,Amount\nAnn,ann@example.com,1\nBob,bob@@example,2\n")
	ctx, cancel := context.WithTimeout(browsertest.New(t), 60*time.Second)
	defer cancel()
	top := &keys{t: t, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/?"+url.Values{"key": {key}, "locale": {"en"}, "mode": {"light"}}.Encode()), chromedp.WaitReady(chromedp.CSS(`#open`))); err != nil {
		top.fail("host", err)
	}
	open := func() *keys {
		top.tabTo(`#open`)
		top.press("open", kb.Enter)
		frame, err := browsertest.Frame(ctx, `.drop`)
		if err != nil {
			top.fail("importer", err)
		}
		return &keys{t: t, ctx: ctx, frame: frame}
	}
	app := open()
	app.app("focus in the importer", `document.hasFocus() && document.activeElement?.classList.contains("drop") && "yes"`)
	// Tab and Shift+Tab go round the importer's controls and never leave it.
	seen := map[string]bool{}
	for i := range 12 {
		if i < 6 {
			app.press("Tab", kb.Tab)
		} else {
			app.press("Shift+Tab", kb.Tab, chromedp.ModifierShift)
		}
		if got := top.now(`document.activeElement?.tagName`); got != "IFRAME" {
			t.Fatalf("after %d Tabs the host's %s has focus", i+1, got)
		}
		seen[app.focused()] = true
	}
	if seen["file"] {
		t.Error("the hidden file input took focus")
	}
	if !seen["close"] {
		t.Errorf("Tab never reached the close button: %v", seen)
	}
	app.press("close", kb.Escape)
	top.app("closed", `!document.querySelector("iframe") && window.closes === 1 && document.activeElement?.id === "open" && "yes"`)

	// After an edit, closing asks; Escape keeps the importer, the second button closes it.
	app = open()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}, chromedp.FromNode(app.frame))); err != nil {
		app.fail("file", err)
	}
	app.app("header", `document.querySelector("[data-testid=header-next]") && "yes"`)
	app.tabTo(`[data-testid=header-next]`)
	app.press("continue", kb.Enter)
	app.app("match", `document.querySelector("[data-testid=map-next]") && "yes"`)
	app.tabTo(`[data-testid=map-next]`)
	app.press("continue", kb.Enter)
	app.app("checked", `document.querySelector("[data-testid=counts]")?.textContent.includes("1 row with errors") && "yes"`)
	app.tabTo(`.grid [tabindex="0"]`)
	app.press("next error", kb.F8)
	app.app("error cell", `document.activeElement.getAttribute("aria-invalid") === "true" && "yes"`)
	app.press("edit", kb.Enter)
	app.press("select all", "a", chromedp.ModifierCtrl)
	app.press("type", "bob@example.com")
	app.press("save", kb.Enter)
	app.app("edited", `document.querySelector("[data-testid=counts]").textContent.includes("No errors") && "yes"`)
	app.press("close", kb.Escape)
	app.app("asks first", `document.querySelector("dialog[open]") && document.activeElement.dataset.testid === "keep-importing" && "yes"`)
	app.press("keep importing", kb.Escape)
	app.app("still open", `!document.querySelector("dialog[open]") && document.querySelector(".grid") && "yes"`)
	if got := top.now(`document.querySelectorAll("iframe").length`); got != "1" {
		t.Fatalf("the importer closed without asking")
	}
	app.tabTo(`[data-testid=close]`)
	app.press("close", kb.Enter)
	app.app("asks", `document.querySelector("dialog[open]") && "yes"`)
	app.tabTo(`[data-testid=close-anyway]`)
	app.press("close anyway", kb.Enter)
	top.app("closed", `!document.querySelector("iframe") && window.closes === 2 && document.activeElement?.id === "open" && "yes"`)
}
