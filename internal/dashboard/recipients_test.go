package dashboard_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestImporterFormRecipients (issue 17): the importer form takes an e2e
// importer's age public keys, refuses a mode e2e without valid ones next
// to the field, and shows the saved keys and the warning that the server
// cannot re-validate.
func TestImporterFormRecipients(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	id, _ := age.GenerateX25519Identity()
	form := func(recipients string) url.Values {
		return url.Values{"name": {"Secret"}, "mode": {"e2e"}, "retention_days": {"30"}, "template": {tmpl},
			"max_rows": {"0"}, "max_file_mb": {"5"}, "recipients": {recipients}}
	}
	for _, bad := range []string{"", "age1nope", "AGE-SECRET-KEY-1QQQ"} {
		r := owner.post("/importers", form(bad))
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="recipients-err"`) || !strings.Contains(r.Body, `aria-describedby="recipients-help recipients-err"`) {
			t.Fatalf("recipients %q: %d", bad, r.Status)
		}
	}
	r := owner.post("/importers", form(id.Recipient().String()+"\n"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create e2e importer: %d %s", r.Status, r.Body)
	}
	page := owner.get(r.Location)
	if !strings.Contains(page.Body, id.Recipient().String()) || !strings.Contains(page.Body, "cannot check them again on the server") {
		t.Fatal("the saved recipients or the e2e warning are not on the importer page")
	}

	// An e2e import's page: counts and a notice, no grid; its download
	// is the .age bundle, which the identity opens to the rows sent.
	key := find(t, `Intake\.open\(\{importer: &#34;(imp_[a-z0-9]+)&#34;`, page.Body)
	const canary = "CANARY-dash-e2e"
	rows := [][]*string{{str(canary), str("=1+2")}, {str("Bob"), nil}, {str("Cy"), str("x")}}
	imp := uploadTo(t, env.URL, key, []string{"name", "formula"}, rows, 2, id.Recipient())
	show := owner.get("/imports/" + imp)
	if show.Status != 200 || !strings.Contains(show.Body, `id="e2e-notice"`) || strings.Contains(show.Body, `id="grid"`) ||
		!strings.Contains(show.Body, `id="dl-age"`) || strings.Contains(show.Body, canary) {
		t.Fatalf("e2e import page: %d notice/grid/download wrong", show.Status)
	}
	dl := owner.get("/imports/" + imp + "/download?format=age")
	var got [][]*string
	err := e2e.Payloads(strings.NewReader(dl.Body), func(p []byte) error {
		c, err := e2e.Open(p, id)
		got = append(got, c.Rows...)
		return err
	})
	if dl.Status != 200 || err != nil || !reflect.DeepEqual(got, rows) || strings.Contains(dl.Body, canary) {
		t.Fatalf("e2e download: %d %v %d rows", dl.Status, err, len(got))
	}
}

// TestImporterFormModeConflict (issue 17): the importer form refuses to
// switch an importer with a PostgreSQL destination to e2e, next to the
// mode (aria-invalid, described by the error) and with its destinations
// still listed to delete the one in the way; the mode stays as saved.
func TestImporterFormModeConflict(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	id, _ := age.GenerateX25519Identity()
	form := func(mode string) url.Values {
		return url.Values{"name": {"Ledger"}, "mode": {mode}, "retention_days": {"30"}, "template": {tmpl},
			"max_rows": {"0"}, "max_file_mb": {"5"}, "recipients": {id.Recipient().String()}}
	}
	r := owner.post("/importers", form("stored"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create importer: %d", r.Status)
	}
	path := strings.TrimSuffix(r.Location, "?saved=1")
	r = owner.post(path+"/destinations", url.Values{"type": {"postgres"}, "url": {"postgres://app@db.example.com/app"}, "table": {"ledger"}, "schema": {"public"}, "batch_size": {"1000"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("postgres destination: %d", r.Status)
	}
	dest := find(t, `(dst_[a-z0-9]+)`, r.Body)

	r = owner.post(path, form("e2e"))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `aria-describedby="mode-help mode-err" aria-invalid="true"`) {
		t.Fatalf("switch to e2e with a PostgreSQL destination: %d", r.Status)
	}
	msg := find(t, `<p class="err" id="mode-err">([^<]*)</p>`, r.Body)
	if !strings.Contains(msg, dest) || !strings.Contains(msg, "cannot work in e2e mode") || !strings.Contains(r.Body, `href="`+path+`/destinations/`+dest) {
		t.Fatalf("the refusal %q does not name the destination, or the page does not list it", msg)
	}
	if page := owner.get(path); !strings.Contains(page.Body, `<option value="stored" selected>`) {
		t.Fatal("the refused mode was saved")
	}
}
