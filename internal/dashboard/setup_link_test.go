package dashboard_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/dashboard"
)

// landing follows redirects from path and returns the final path and page.
func landing(t *testing.T, b *browser, path string) (string, response) {
	t.Helper()
	for range 5 {
		r := b.get(path)
		if r.Location == "" {
			return path, r
		}
		path = r.Location
	}
	t.Fatalf("redirect loop from %s", path)
	return "", response{}
}

var mainLinks = regexp.MustCompile(`href="(/[^"]*)"`)

// checkSetupLinkPage: no Markdown backticks shown as text, and no link in
// the page's content that lands back on the page itself.
func checkSetupLinkPage(t *testing.T, b *browser, path string) response {
	t.Helper()
	at, r := landing(t, b, path)
	main := r.Body[strings.Index(r.Body, "<main"):]
	if strings.Contains(main, "`") {
		t.Errorf("%s shows backticks: %s", path, main)
	}
	if !strings.Contains(main, "<code>intake serve</code>") {
		t.Errorf("%s does not name intake serve as code", path)
	}
	for _, m := range mainLinks.FindAllStringSubmatch(main, -1) {
		if back, _ := landing(t, b, m[1]); back == at {
			t.Errorf("%s links to %s, which lands back on %s", path, m[1], at)
		}
	}
	return r
}

// TestSetupLinkPages: the page a first visitor lands on, and the one a
// stale setup link opens, read cleanly and lead somewhere else.
func TestSetupLinkPages(t *testing.T) {
	t.Parallel()
	f := startFresh(t)
	b := &browser{t: t, base: f.URL}
	if r := checkSetupLinkPage(t, b, "/"); !strings.Contains(r.Body, "Restart <code>intake serve</code>") {
		t.Error("the first-run page does not say how to get a new link")
	}
	checkSetupLinkPage(t, b, "/setup?token=setup_stale")
	token, ok, err := dashboard.IssueSetupToken(context.Background(), f.Srv.Store)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	setupOwnerWith(t, f, token)
	anon := &browser{t: t, base: f.URL}
	r := checkSetupLinkPage(t, anon, "/setup?token="+token)
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, `<a href="/login">Sign in</a>`) {
		t.Errorf("a used setup link: %d, no sign-in link", r.Status)
	}
	if _, r := landing(t, anon, "/login"); !strings.Contains(r.Body, `name="password"`) {
		t.Error("the sign-in link does not lead to the sign-in form")
	}
}
