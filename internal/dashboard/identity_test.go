package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestImporterRequireIdentity: turning signed end users on in the importer
// form makes an identity secret, shows it once on the page that answers
// the save (never again, and never to the page's next load), offers to
// rotate it, and a rotation shows a new one; the setting is what the API
// reads.
func TestImporterRequireIdentity(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	if page := owner.get("/importers/new"); !strings.Contains(page.Body, `<label for="require_identity">`) || strings.Contains(page.Body, `id="rotate_identity_secret"`) {
		t.Fatal("the new-importer form lacks a labelled require_identity checkbox, or offers a rotation without a secret")
	}
	secretRe := regexp.MustCompile(`id="new-identity-secret"[^>]*>(isk_[A-Za-z0-9_-]+)<`)
	form := url.Values{"name": {"Signed"}, "mode": {"stored"}, "retention_days": {"30"}, "template": {tmpl},
		"max_rows": {"0"}, "max_file_mb": {"5"}, "require_identity": {"on"}}
	r := owner.post("/importers", form)
	m := secretRe.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("create with require_identity: %d, secret shown: %v", r.Status, m != nil)
	}
	first := m[1]
	id := regexp.MustCompile(`action="/importers/(ipr_[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.Body)[1]
	page := owner.get("/importers/" + id)
	if strings.Contains(page.Body, first) || !strings.Contains(page.Body, `id="require_identity" name="require_identity" aria-describedby="require_identity-help" checked`) ||
		!strings.Contains(page.Body, `id="rotate_identity_secret"`) {
		t.Fatal("after the save the page shows the secret again, or lost the setting, or offers no rotation")
	}
	var im map[string]any
	env.Do(t, "GET", "/api/v1/importers/"+id, env.APIKey, nil, &im)
	if im["require_identity"] != true {
		t.Errorf("the API reads require_identity %v", im["require_identity"])
	}
	// Saving again without a rotation keeps the secret and shows nothing.
	if r := owner.post("/importers/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("save again: %d", r.Status)
	}
	form.Set("rotate_identity_secret", "on")
	r = owner.post("/importers/"+id, form)
	if m := secretRe.FindStringSubmatch(r.Body); r.Status != http.StatusOK || m == nil || m[1] == first {
		t.Fatalf("rotate: %d, new secret shown: %v", r.Status, m != nil && m[1] != first)
	}
}
