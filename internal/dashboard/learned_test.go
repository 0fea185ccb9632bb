package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestLearnedMappingsPage: a new importer learns mappings unless the box is
// cleared; its page lists the learned header → column pairs; "Forget all"
// clears them; another organization can neither see nor clear them; a
// cross-origin "Forget all" is refused.
func TestLearnedMappingsPage(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	form := url.Values{"name": {"Customers"}, "mode": {"stored"}, "retention_days": {"30"}, "template": {tmpl},
		"max_rows": {"0"}, "max_file_mb": {"5"}}
	if page := owner.get("/importers/new"); !strings.Contains(page.Body, `id="learn_mappings" name="learn_mappings" checked`) {
		t.Fatal("a new importer's form does not learn mappings by default")
	}
	form.Set("learn_mappings", "on")
	r := owner.post("/importers", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create importer: %d", r.Status)
	}
	id := strings.TrimPrefix(strings.Split(r.Location, "?")[0], "/importers/")
	ctx := context.Background()
	im, err := env.Server.Store.ImporterByKey(ctx, find(t, `Intake\.open\(\{importer: &#34;(imp_[a-z0-9]+)&#34;`, owner.get(r.Location).Body))
	if err != nil || im.ID != id || !im.LearnMappings {
		t.Fatalf("importer %s learn_mappings %v, %v", im.ID, im.LearnMappings, err)
	}
	if page := owner.get("/importers/" + id); !strings.Contains(page.Body, `id="learned-empty"`) {
		t.Fatal("no empty learned list")
	}
	if _, err := env.Server.Store.Learn(ctx, id, []store.LearnedMapping{{Header: "kundennummer zqx", Key: "formula"}}); err != nil {
		t.Fatal(err)
	}
	page := owner.get("/importers/" + id)
	if !strings.Contains(page.Body, "<td>kundennummer zqx</td><td><code>formula</code></td>") || !strings.Contains(page.Body, `id="forget-learned"`) {
		t.Fatal("the importer page does not list the learned mapping")
	}

	// Another organization sees and clears nothing.
	env.NewOrg(t, "intruders")
	intruder := &browser{t: t, base: env.URL}
	intruder.signIn("intruders@example.com", "test-password-1")
	if r := intruder.post("/importers/"+id+"/learned/forget", nil); r.Status != http.StatusNotFound {
		t.Fatalf("another organization forgets: %d", r.Status)
	}
	// A cross-site POST is refused like every other form's.
	if r := owner.do("POST", "/importers/"+id+"/learned/forget", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); r.Status < 400 {
		t.Fatalf("cross-site forget: %d", r.Status)
	}
	if got, _ := env.Server.Store.ImporterLearned(ctx, id); len(got) != 1 {
		t.Fatalf("learned list after refused forgets: %d entries", len(got))
	}
	if r := owner.post("/importers/"+id+"/learned/forget", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("forget: %d", r.Status)
	}
	if got, _ := env.Server.Store.ImporterLearned(ctx, id); len(got) != 0 {
		t.Fatalf("learned list after forget: %d entries", len(got))
	}
	// Clearing the box switches learning off.
	form.Del("learn_mappings")
	if r := owner.post("/importers/"+id, form); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d", r.Status)
	}
	if im, _ := env.Server.Store.Importer(ctx, im.OrgID, id); im.LearnMappings {
		t.Fatal("learn_mappings still on after the box was cleared")
	}
	if strings.Contains(env.Logs.String(), "zqx") {
		t.Fatal("a learned header reached the logs")
	}
}
