package dashboard_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/dashboard"
)

// The browser test drives the dashboard in real headless Chromium against a
// loopback server. It needs /usr/bin/chromium: without it the test skips
// locally and fails in CI (CI is set).

// screenshotDir is where each page's PNG lands (a CI artifact).
var screenshotDir = filepath.Join("..", "..", "artifacts", "screenshots")

func newChromium(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(browsertest.New(t), 2*time.Minute)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatalf("set viewport: %v", err)
	}
	return ctx
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// freshInBrowser is a first-run Intake with a setup token, a Chromium tab
// and step, which runs actions in the tab and fails the test with what the
// page shows.
func freshInBrowser(t *testing.T) (*fresh, context.Context, string, func(string, ...chromedp.Action[chromedp.Void])) {
	t.Helper()
	f := startFresh(t)
	ctx := newChromium(t)
	token, ok, err := dashboard.IssueSetupToken(context.Background(), f.Srv.Store)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v; page shows %q", name, err, bodyText(ctx))
		}
	}
	return f, ctx, token, step
}

func bodyText(ctx context.Context) string {
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return text
}

// setInput sets a field's value the way typing does, firing input and change.
func setInput(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, value))
}

// fetchBytes downloads a URL from inside the page (with the page's session
// cookie) and returns the body.
func fetchBytes(t *testing.T, ctx context.Context, path string) []byte {
	t.Helper()
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then(r => {
		if (!r.ok) throw new Error("HTTP " + r.status);
		return r.arrayBuffer();
	}).then(b => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`, path),
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBrowser walks the dashboard as a new team would: first-run setup,
// an importer made with the template editor (from a sample file), its embed
// snippet pasted into a host app on another origin and a file imported
// through it, the import found and opened, CSV and XLSX downloads equal
// to the rows sent (formulas neutralized), deletion and its receipt, the
// team page, sign-out and sign-in again. Every page is screenshotted.
func TestBrowser(t *testing.T) {
	t.Parallel()
	f, ctx, token, step := freshInBrowser(t)

	// The team's own app, on another origin, serving whatever embed snippet
	// the dashboard gave them.
	var hostApp atomic.Pointer[string]
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		snippet := ""
		if p := hostApp.Load(); p != nil {
			snippet = *p
		}
		fmt.Fprintf(w, "<!doctype html><html><body><h1>Our app</h1>\n%s\n</body></html>", snippet)
	}))
	t.Cleanup(host.Close)

	step("setup page",
		chromedp.Navigate(f.URL+"/setup?token="+token),
		chromedp.WaitVisible(chromedp.CSS(`#org`)))
	shot(t, ctx, "01-setup")
	step("setup",
		chromedp.SendKeys(chromedp.CSS(`#org`), "Acme"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.SendKeys(chromedp.CSS(`#password2`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/importers/new"]`)))
	// The __Host- cookie is Secure; Chromium keeps it on http://127.0.0.1
	// (a secure context), and scripts cannot read it (HttpOnly).
	if cookies, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); cookies != "" {
		t.Fatalf("document.cookie = %q: the session cookie is readable by scripts", cookies)
	}
	shot(t, ctx, "02-importers-empty")

	samplePath := filepath.Join(t.TempDir(), "sample.csv")
	if err := os.WriteFile(samplePath, []byte("Name,E-mail,Amount,Since\nAnn,ann@example.com,\"1,200.50\",2024-01-02\nBo,bo@example.com,-3,2023-12-31\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("sample file",
		chromedp.Click(chromedp.CSS(`a[href="/importers/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#editor li`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#sample-file`), []string{samplePath}),
		chromedp.WaitVisible(chromedp.CSS(`#col-3-formats`)))
	guessed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`JSON.parse(document.getElementById("template").value).columns.map(c => c.key + ":" + c.type)`))
	if err != nil || strings.Join(guessed, " ") != "name:text e_mail:email amount:number since:date" {
		t.Fatalf("columns guessed from the sample: %v %v", guessed, err)
	}
	step("template editor",
		chromedp.Click(chromedp.CSS(`button[aria-label="Remove since"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Remove amount"]`)),
		setInput(`#col-1-key`, "email"),
		setInput(`#name`, "Customers"),
		setInput(`#allowed_origins`, host.URL),
		chromedp.Click(chromedp.CSS(`#add-column`)),
		chromedp.WaitVisible(chromedp.CSS(`#col-2-key`)),
		setInput(`#col-2-key`, "plan"),
		setInput(`#col-2-label`, "Plan"),
		setInput(`#col-2-type`, "enum"),
		chromedp.WaitVisible(chromedp.CSS(`#col-2-options`)),
		setInput(`#col-2-options`, "free, pro"),
		chromedp.Click(chromedp.CSS(`#editor li[data-index="2"] button[aria-label^="Move plan up"]`)),
		chromedp.Click(chromedp.CSS(`#col-0-required`)),
		chromedp.Click(chromedp.CSS(`#col-0-required`)))
	tmplJSON, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#template`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"key": "plan"`, `"type": "enum"`, `"free"`, `"pro"`} {
		if !strings.Contains(tmplJSON, want) {
			t.Fatalf("live JSON lacks %s:\n%s", want, tmplJSON)
		}
	}
	if strings.Index(tmplJSON, `"plan"`) > strings.Index(tmplJSON, `"email"`) {
		t.Fatalf("plan was not moved above email:\n%s", tmplJSON)
	}
	shot(t, ctx, "03-template-editor")
	step("save importer",
		chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`#embed-snippet`)))
	shot(t, ctx, "04-importer-saved")
	step("destination",
		chromedp.Click(chromedp.CSS(`#add-destination`)),
		chromedp.WaitVisible(chromedp.CSS(`#url`)),
		chromedp.SendKeys(chromedp.CSS(`#url`), host.URL+"/hooks/intake"),
		chromedp.Click(chromedp.CSS(`#save-destination`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-secret`)),
		chromedp.Click(chromedp.CSS(`#send-test`)),
		chromedp.WaitVisible(chromedp.CSS(`#test-result`)))
	if res, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#test-result`))); !strings.Contains(res, "HTTP 200") {
		t.Fatalf("test event: %q", res)
	}
	shot(t, ctx, "04b-destination-test")
	step("back to the importer",
		chromedp.Click(chromedp.CSS(`main > p > a`)),
		chromedp.WaitVisible(chromedp.CSS(`#embed-snippet`)))
	hosted, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#hosted-link`)))
	if err != nil || !strings.Contains(hosted, "/i/imp_") {
		t.Fatalf("hosted link %q %v", hosted, err)
	}

	// The team pastes the embed snippet, as the dashboard shows it, into
	// their app on another origin; an end user imports a file through it.
	snippet, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#embed-snippet`)))
	if err != nil || !strings.Contains(snippet, f.URL+"/embed.js") {
		t.Fatalf("embed snippet %q %v", snippet, err)
	}
	hostApp.Store(&snippet)
	csvPath := filepath.Join(t.TempDir(), "customers.csv")
	sent := [][]string{{"Zoë Ünïcode", "pro", "zoe@example.com"}, {`=1+2";=1+2`, "free", "evil@example.com"}, {"Bob", "free", "bob@example.com"}}
	var file strings.Builder
	cw := csv.NewWriter(&file)
	cw.Write([]string{"Name", "Plan", "Email"})
	cw.WriteAll(sent)
	if err := os.WriteFile(csvPath, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	step("host page", chromedp.Navigate(host.URL), chromedp.WaitReady(chromedp.CSS("iframe")))
	if _, err := browsertest.ImportInFrame(ctx, csvPath); err != nil {
		t.Fatalf("widget import: %v", err)
	}
	shot(t, ctx, "05-host-app-widget")

	step("imports list",
		chromedp.Navigate(f.URL+"/imports"),
		chromedp.WaitVisible(chromedp.CSS(`td a[href^="/imports/imt_"]`)))
	shot(t, ctx, "06-imports")
	step("import detail",
		chromedp.Click(chromedp.CSS(`td a[href^="/imports/imt_"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#grid`)))
	shot(t, ctx, "07-import")
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	id := loc[strings.LastIndex(loc, "/")+1:]

	want := [][]string{{"name", "plan", "email"}}
	for _, r := range sent {
		want = append(want, []string{r[0], r[1], r[2]})
	}
	want[2][0] = `'=1+2";=1+2`
	got, err := csv.NewReader(bytes.NewReader(fetchBytes(t, ctx, "/imports/"+id+"/download?format=csv"))).ReadAll()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("CSV download %q (%v), want %q", got, err, want)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(fetchBytes(t, ctx, "/imports/"+id+"/download?format=xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	if xr, _ := wb.GetRows("Sheet1"); !reflect.DeepEqual(xr, want) {
		t.Fatalf("XLSX download %q, want %q", xr, want)
	}
	// Nothing the pages loaded came from another origin.
	foreign, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name).filter(u => !u.startsWith(location.origin))`))
	if err != nil || len(foreign) > 0 {
		t.Fatalf("requests to other origins: %v %v", foreign, err)
	}

	step("delete",
		chromedp.SendKeys(chromedp.CSS(`#confirm`), id),
		chromedp.Click(chromedp.CSS(`#delete`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	text := bodyText(ctx)
	if strings.Contains(text, "Zoë") || !strings.Contains(text, "import.purged") {
		t.Fatalf("after delete the page shows rows or no receipt: %q", text)
	}
	shot(t, ctx, "08-import-deleted")
	receipts, err := f.Srv.Store.Receipts(context.Background(), mustOrg(t, f))
	if err != nil || len(receipts) != 1 || receipts[0].ImportID != id {
		t.Fatalf("receipts %+v %v", receipts, err)
	}

	step("data",
		chromedp.Navigate(f.URL+"/data"),
		chromedp.WaitVisible(chromedp.CSS(`#receipts`)))
	if audit, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#audit`))); !strings.Contains(audit, "verifies: 1 receipts") {
		t.Fatalf("receipt chain: %q", audit)
	}
	shot(t, ctx, "09-data")

	step("team",
		chromedp.Navigate(f.URL+"/team"),
		chromedp.Click(chromedp.CSS(`#new-key`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-api-key`)))
	shot(t, ctx, "10-team")

	// Dark scheme, narrow screen: the import list as a phone in dark mode shows it.
	step("dark narrow",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}),
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(f.URL+"/imports/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#log`)))
	shot(t, ctx, "11-import-dark-narrow")

	step("sign out",
		chromedp.EmulateViewport(1280, 860),
		chromedp.Click(chromedp.CSS(`.who button`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)))
	shot(t, ctx, "12-login")
	step("sign in",
		chromedp.SendKeys(chromedp.CSS(`#email`), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.filters`)))
	step("account",
		chromedp.Click(chromedp.CSS(`.who a[href="/account"]`)),
		chromedp.Click(chromedp.CSS(`#totp-start`)),
		chromedp.WaitVisible(chromedp.CSS(`#totp-secret`)))
	shot(t, ctx, "13-account-two-step")
}

func mustOrg(t *testing.T, f *fresh) string {
	t.Helper()
	u, err := f.Srv.Store.UserByEmail(context.Background(), "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return u.OrgID
}
