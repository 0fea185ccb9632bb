package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestImporterWithoutOriginsWarns: the form says what an empty list of
// allowed origins means (no other site may embed the importer), and the
// embed snippet carries a warning until an origin is saved.
func TestImporterWithoutOriginsWarns(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	if page := owner.get("/importers/new"); !strings.Contains(page.Body, "empty = no other site may embed it") || strings.Contains(page.Body, "any site") {
		t.Error("the allowed-origins hint does not say that empty means no other site")
	}
	form := url.Values{"name": {"Customers"}, "mode": {"stored"}, "retention_days": {"30"}, "template": {tmpl},
		"max_rows": {"0"}, "max_file_mb": {"5"}}
	r := owner.post("/importers", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create importer: %d", r.Status)
	}
	page := owner.get(r.Location)
	if !strings.Contains(page.Body, `id="embed-warning"`) || !strings.Contains(page.Body, "No site may embed this importer yet") {
		t.Error("no warning above the embed snippet of an importer without allowed origins")
	}
	form.Set("allowed_origins", "https://app.example.com")
	if r := owner.post(strings.TrimSuffix(r.Location, "?saved=1"), form); r.Status != http.StatusSeeOther {
		t.Fatalf("update importer: %d", r.Status)
	}
	if page := owner.get(r.Location); strings.Contains(page.Body, `id="embed-warning"`) {
		t.Error("the warning stays once an origin is allowed")
	}
}
