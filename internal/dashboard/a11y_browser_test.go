package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// TestBrowserA11yDashboard runs axe-core (WCAG 2.2 AA) on every page of
// the dashboard, in the light and the dark colour scheme: setup, the
// importers, the template editor, an importer (and its identity secret
// just made), a new destination, the
// imports, an import with errors and its log, data, team, account, an
// error page and sign-in.
func TestBrowserA11yDashboard(t *testing.T) {
	t.Parallel()
	axe, err := browsertest.AxeSource()
	if err != nil {
		t.Fatal(err)
	}
	f, ctx, token, step := freshInBrowser(t)
	check := func(page string) {
		t.Helper()
		found, err := browsertest.Axe(ctx, axe, nil)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", page, v)
		}
	}
	scheme := func(mode string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: mode}}})
			return err
		})
	}

	step("setup page", chromedp.Navigate(f.URL+"/setup?token="+token), chromedp.WaitVisible(chromedp.CSS(`#org`)))
	check("setup (light)")
	step("dark", scheme("dark"))
	check("setup (dark)")
	step("setup", scheme("light"),
		chromedp.SendKeys(chromedp.CSS(`#org`), "Acme"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "owner@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.SendKeys(chromedp.CSS(`#password2`), password),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/importers/new"]`)))
	check("importers, none yet")
	samplePath := filepath.Join(t.TempDir(), "sample.csv")
	if err := os.WriteFile(samplePath, []byte("Name,E-mail\nAnn,ann@example.com\nBo,bo@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("template editor",
		chromedp.Click(chromedp.CSS(`a[href="/importers/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#editor li`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#sample-file`), []string{samplePath}),
		chromedp.WaitVisible(chromedp.CSS(`#col-1-key`)),
		setInput(`#name`, "Customers"))
	check("template editor")
	step("save importer", chromedp.Click(chromedp.CSS(`#save`)), chromedp.WaitVisible(chromedp.CSS(`#embed-snippet`)))
	importerURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	hosted, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#hosted-link`)))
	key := regexp.MustCompile(`imp_[A-Za-z0-9_-]+`).FindString(hosted)
	if err != nil || key == "" {
		t.Fatalf("hosted link %q %v", hosted, err)
	}
	id := upload(t, f.URL, key, []string{"name", "e_mail"}, [][]*string{{str("Ann"), str("ann@example.com")}, {str("Bo"), str("bo@example.com")}, {nil, str("cy@example.com")}}, 2)

	pages := []struct{ name, path, ready string }{
		{"importers", "/importers", `a[href="/importers/new"]`},
		{"new importer", "/importers/new", `#editor li`},
		{"importer", importerURL, `#embed-snippet`},
		{"new destination", importerURL + "/destinations/new", `#url`},
		{"imports", "/imports", `.filters`},
		{"import", "/imports/" + id, `#log`},
		{"data", "/data", `main`},
		{"team", "/team", `main`},
		{"account", "/account", `main`},
		{"error page", "/imports/imp_nothing", `main`},
	}
	for _, mode := range []string{"light", "dark"} {
		for _, p := range pages {
			step(fmt.Sprintf("%s (%s)", p.name, mode), scheme(mode), chromedp.Navigate(f.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			check(fmt.Sprintf("%s (%s)", p.name, mode))
		}
	}
	// Signed end users turned on: the identity secret shown once and the
	// rotation checkbox.
	step("require identity", scheme("light"), chromedp.Navigate(f.URL+importerURL), chromedp.WaitVisible(chromedp.CSS(`#embed-snippet`)),
		chromedp.Click(chromedp.CSS(`#require_identity`)), chromedp.Click(chromedp.CSS(`#save`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-identity-secret`)), chromedp.WaitVisible(chromedp.CSS(`#rotate_identity_secret`)))
	check("importer with its new identity secret")
	// A switch to e2e refused for a PostgreSQL destination: the error
	// next to the mode, the destinations listed below.
	step("postgres destination", chromedp.Navigate(f.URL+importerURL+"/destinations/new?type=postgres"), chromedp.WaitVisible(chromedp.CSS(`#table`)),
		setInput(`#url`, "postgres://app@db.example.com/app"), setInput(`#table`, "customers"),
		chromedp.Click(chromedp.CSS(`#save-destination`)), chromedp.WaitVisible(chromedp.CSS(`.notice, [role=status]`)))
	step("switch to e2e", chromedp.Navigate(f.URL+importerURL), chromedp.WaitVisible(chromedp.CSS(`#embed-snippet`)),
		setInput(`#mode`, "e2e"), setInput(`#recipients`, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"),
		chromedp.Click(chromedp.CSS(`#save`)), chromedp.WaitVisible(chromedp.CSS(`#mode-err`)))
	check("importer refused for its destination")
	// The import log in sentences, its JSON one click away.
	step("import log", scheme("light"), chromedp.Navigate(f.URL+"/imports/"+id), chromedp.WaitVisible(chromedp.CSS(`#log`)))
	sentences, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const s = [...document.querySelectorAll("#log summary")].map((e) => e.textContent); return s.some((t) => t.startsWith("Chunk")) && s.join(" | "); })()`))
	if err != nil {
		t.Fatalf("log sentences: %v", err)
	}
	for _, want := range []string{"Upload opened: 3 rows expected in 2 columns, CSV, 1,000 B, stored mode.", "Chunk 0 stored: 2 rows, 0 with errors.", "Chunk 1 stored: 1 row, 0 with errors.", "Import completed: 3 rows in 2 chunks, 0 with errors, 0 blank rows skipped."} {
		if !strings.Contains(sentences, want) {
			t.Errorf("import log %q lacks %q", sentences, want)
		}
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const d = document.querySelector("#log details"); d.querySelector("summary").click(); return d.open + " " + d.querySelector("code").textContent; })()`)); !strings.HasPrefix(got, "true {") {
		t.Errorf("an event's JSON after one click: %q", got)
	}
	step("sign out", scheme("light"), chromedp.Navigate(f.URL+"/imports"), chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS(`#password`)))
	check("sign-in (light)")
	step("dark", scheme("dark"))
	check("sign-in (dark)")
}
