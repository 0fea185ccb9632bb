package dashboard_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/server/servertest"
)

const password = "correct horse battery"

// TestSetup: the setup page needs the current token, shows errors next to
// the fields, works once, and then sign-in takes over.
func TestSetup(t *testing.T) {
	t.Parallel()
	f := startFresh(t)
	b := &browser{t: t, base: f.URL}
	if r := b.get("/login"); !strings.Contains(r.Body, "setup link") {
		t.Fatalf("login before setup: %d", r.Status)
	}
	token, ok, err := dashboard.IssueSetupToken(context.Background(), f.Srv.Store)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r := b.get("/setup?token=setup_wrong"); r.Status != http.StatusNotFound {
		t.Fatalf("wrong token: %d", r.Status)
	}
	if r := b.get("/setup?token=" + token); r.Status != 200 || !strings.Contains(r.Body, `name="token" value="`+token+`"`) {
		t.Fatalf("setup page: %d", r.Status)
	}
	r := b.post("/setup", url.Values{"token": {token}, "org": {""}, "email": {"nope"}, "password": {"short"}, "password2": {"other"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad setup form: %d", r.Status)
	}
	for _, id := range []string{`id="org-err"`, `id="email-err"`, `id="password-err"`, `id="password2-err"`} {
		if !strings.Contains(r.Body, id) {
			t.Errorf("no error shown at %s", id)
		}
	}
	owner := setupOwnerWith(t, f, token)
	if r := owner.get("/imports"); r.Status != 200 {
		t.Fatalf("owner after setup: %d", r.Status)
	}
	again := &browser{t: t, base: f.URL}
	if r := again.post("/setup", url.Values{"token": {token}, "org": {"Evil"}, "email": {"evil@example.com"},
		"password": {password}, "password2": {password}}); r.Status != http.StatusNotFound || again.session != "" {
		t.Fatalf("second setup: %d", r.Status)
	}
	if _, ok, _ := dashboard.IssueSetupToken(context.Background(), f.Srv.Store); ok {
		t.Fatal("a setup token was issued although a user exists")
	}
}

func setupOwnerWith(t *testing.T, f *fresh, token string) *browser {
	t.Helper()
	b := &browser{t: t, base: f.URL}
	r := b.post("/setup", url.Values{"token": {token}, "org": {"Acme"}, "email": {"owner@example.com"},
		"password": {password}, "password2": {password}})
	if r.Status != http.StatusSeeOther || b.session == "" {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return b
}

// TestSessionSecurity: the cookie's attributes, a fixated id is replaced at
// sign-in and never authenticates, and a signed-out id is dead.
func TestSessionSecurity(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	email := ownerEmail(t, env)
	b := &browser{t: t, base: env.URL, session: "attacker-chosen-session-id"}
	if r := b.get("/imports"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("unknown session id let in: %d", r.Status)
	}
	b.session = "attacker-chosen-session-id"
	for _, who := range []string{email, "nobody@example.com"} {
		r := b.post("/login", url.Values{"email": {who}, "password": {"wrong password!"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "The email or password is wrong.") {
			t.Fatalf("wrong password for %s: %d", who, r.Status)
		}
	}
	r := b.post("/login", url.Values{"email": {email}, "password": {"test-password-1"}, "next": {"//evil.example/x"}})
	if r.Status != http.StatusSeeOther || r.Location != "/imports" {
		t.Fatalf("sign in: %d to %q", r.Status, r.Location)
	}
	var c *http.Cookie
	for _, x := range r.Cookies {
		if x.Name == dashboard.CookieName {
			c = x
		}
	}
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("session cookie %+v", c)
	}
	if len(r.Cookies) != 1 {
		t.Fatalf("%d cookies set, want only the session", len(r.Cookies))
	}
	if c.Value == "attacker-chosen-session-id" || len(c.Value) < 26 {
		t.Fatalf("session id not rotated: %q", c.Value)
	}
	signedIn := c.Value
	if r := b.get("/imports"); r.Status != 200 {
		t.Fatalf("signed in: %d", r.Status)
	}
	fixated := &browser{t: t, base: env.URL, session: "attacker-chosen-session-id"}
	if r := fixated.get("/imports"); r.Status != http.StatusSeeOther {
		t.Fatalf("fixated id authenticates: %d", r.Status)
	}
	if r := b.post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.Status)
	}
	replay := &browser{t: t, base: env.URL, session: signedIn}
	if r := replay.get("/imports"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("session reused after sign-out: %d", r.Status)
	}
	if r := replay.post("/team/keys", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("POST with a dead session: %d", r.Status)
	}
}

func ownerEmail(t testing.TB, env *servertest.Env) string {
	t.Helper()
	users, err := env.Server.Store.Users(context.Background(), env.OrgID)
	if err != nil || len(users) != 1 {
		t.Fatalf("users: %v %v", users, err)
	}
	return users[0].Email
}

// TestCrossOrigin: a state change sent from another origin is refused
// before it happens, whether the browser says so with Sec-Fetch-Site or
// only with Origin.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	b := &browser{t: t, base: env.URL}
	b.signIn(ownerEmail(t, env), "test-password-1")
	keys := func() int {
		k, err := env.Server.Store.APIKeys(context.Background(), env.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		return len(k)
	}
	before := keys()
	for name, h := range map[string]map[string]string{
		"sec-fetch-site": {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		"origin only":    {"Sec-Fetch-Site": "", "Origin": "https://evil.example"},
		"same-site":      {"Sec-Fetch-Site": "same-site"},
	} {
		if r := b.do("POST", "/team/keys", url.Values{}, h); r.Status != http.StatusForbidden {
			t.Errorf("%s: cross-origin POST answered %d", name, r.Status)
		}
	}
	if keys() != before {
		t.Fatal("a cross-origin POST created an API key")
	}
	if r := b.post("/team/keys", nil); r.Status != http.StatusCreated || !strings.Contains(r.Body, `id="new-api-key"`) {
		t.Fatalf("same-origin POST: %d", r.Status)
	}
	if keys() != before+1 {
		t.Fatal("same-origin POST did not create the key")
	}
}

const tmpl = `{"columns":[{"key":"name","label":"Full name","type":"text","required":true},{"key":"formula","type":"text"},{"key":"amount","type":"number"}]}`

// TestImportFlowAndRoles: an importer made in the form, an import uploaded
// through the API, its grid and downloads for a member; a viewer who joined
// by invite sees it but cannot download or delete; another organization
// gets 404 for the same ids.
func TestImportFlowAndRoles(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]servertest.Options{"sqlite+file": {}, "postgres+s3": {Postgres: true, S3: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			importFlowAndRoles(t, servertest.Start(t, opts))
		})
	}
}

func importFlowAndRoles(t *testing.T, env *servertest.Env) {
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")

	bad := url.Values{"name": {""}, "mode": {"stored"}, "retention_days": {"0"}, "template": {`{"columns":[{"key":"a","type":"nope"}]}`},
		"allowed_origins": {"https://ok.example\nhttps://bad.example/path"}, "max_rows": {"0"}, "max_file_mb": {"5"}}
	r := owner.post("/importers", bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad importer: %d", r.Status)
	}
	for _, id := range []string{"name-err", "retention_days-err", "template-err", "allowed_origins-err"} {
		if !strings.Contains(r.Body, `id="`+id+`"`) {
			t.Errorf("no error next to %s", id)
		}
	}
	good := url.Values{"name": {"Customers"}, "mode": {"stored"}, "retention_days": {"30"}, "template": {tmpl},
		"max_rows": {"0"}, "max_file_mb": {"5"}, "allow_invalid": {"on"}}
	r = owner.post("/importers", good)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create importer: %d %s", r.Status, r.Body)
	}
	page := owner.get(r.Location)
	key := find(t, `Intake\.open\(\{importer: &#34;(imp_[a-z0-9]+)&#34;`, page.Body)
	if !strings.Contains(page.Body, "/i/"+key) || !strings.Contains(page.Body, "/embed.js") {
		t.Fatal("no embed snippet or hosted link")
	}
	rows := [][]*string{{str("Zoë"), str(`=1+2";=1+2`), str("1.5")}, {str("Bob"), nil, str("-2")}, {str("Eve"), str("@SUM(A1)"), str("x")}}
	id := upload(t, env.URL, key, []string{"name", "formula", "amount"}, rows, 2)

	list := owner.get("/imports")
	if !strings.Contains(list.Body, id) || !strings.Contains(list.Body, "Customers") {
		t.Fatal("import not listed")
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for q, listed := range map[string]bool{"?until=2000-01-01": false, "?until=" + today: true, "?status=failed": false,
		"?status=completed&until=" + today: true, "?importer=ipr_other": false} {
		if got := strings.Contains(owner.get("/imports"+q).Body, id); got != listed {
			t.Errorf("/imports%s lists the import: %v, want %v", q, got, listed)
		}
	}
	if r := owner.get("/imports?until=soon"); !strings.Contains(r.Body, `id="f-until-err"`) {
		t.Error("bad date not reported next to the field")
	}
	detail := owner.get("/imports/" + id)
	// The grid's headers are the template's labels, the key where it has none.
	for _, want := range []string{"Zoë", "@SUM(A1)", `class="bad"`, "import.completed", `id="dl-csv"`,
		`<th scope="col" title="name">Full name</th>`, `<th scope="col" title="formula">formula</th>`} {
		if !strings.Contains(detail.Body, want) {
			t.Errorf("import page lacks %q", want)
		}
	}
	if strings.Contains(detail.Body, `data-testid="log-more"`) {
		t.Error("a 4-event log says it has more")
	}
	// An import of 205 one-row chunks has 207 events: the page shows the
	// first 200 and says where the rest is.
	many := make([][]*string, 205)
	for i := range many {
		many[i] = []*string{str("row " + strconv.Itoa(i)), nil, str("1")}
	}
	long := owner.get("/imports/" + upload(t, env.URL, key, []string{"name", "formula", "amount"}, many, 1))
	if n := strings.Count(long.Body, `<code class="wrap">`); n != 200 || !strings.Contains(long.Body, `data-testid="log-more"`) {
		t.Errorf("long import log: %d events shown, more noted: %v", n, strings.Contains(long.Body, `data-testid="log-more"`))
	}
	dl := owner.get("/imports/" + id + "/download?format=csv")
	if dl.Status != 200 || !strings.Contains(dl.Body, `"'=1+2"";=1+2"`) {
		t.Fatalf("csv download: %d %q", dl.Status, dl.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(dl.Body)).ReadAll()
	if err != nil || len(recs) != 4 || recs[1][0] != "Zoë" || recs[3][1] != "'@SUM(A1)" || recs[2][2] != "-2" {
		t.Fatalf("csv %q %v", recs, err)
	}
	xl := owner.get("/imports/" + id + "/download?format=xlsx")
	wb, err := excelize.OpenReader(bytes.NewReader([]byte(xl.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := wb.GetCellValue("Sheet1", "B2"); v != `'=1+2";=1+2` {
		t.Fatalf("xlsx B2 %q", v)
	}

	// A viewer joins by a single-use invite link.
	inv := owner.post("/team/invites", url.Values{"email": {"viewer@example.com"}, "role": {"viewer"}})
	link := find(t, `id="invite-url" tabindex="0">([^<]+)<`, inv.Body)
	path := strings.TrimPrefix(link, env.URL)
	viewer := &browser{t: t, base: env.URL}
	if r := viewer.post(path, url.Values{"password": {password}, "password2": {password}}); r.Status != http.StatusSeeOther || viewer.session == "" {
		t.Fatalf("accept invite: %d", r.Status)
	}
	other := &browser{t: t, base: env.URL}
	if r := other.post(path, url.Values{"password": {password}, "password2": {password}}); r.Status != http.StatusNotFound {
		t.Fatalf("invite used twice: %d", r.Status)
	}
	if r := viewer.get("/imports/" + id); r.Status != 200 || strings.Contains(r.Body, `id="dl-csv"`) || strings.Contains(r.Body, `id="delete"`) {
		t.Fatalf("viewer import page: %d", r.Status)
	}
	for _, f := range []string{"csv", "xlsx", "jsonl"} {
		if r := viewer.get("/imports/" + id + "/download?format=" + f); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Zoë") {
			t.Fatalf("viewer download %s: %d", f, r.Status)
		}
	}
	if r := viewer.post("/imports/"+id+"/delete", url.Values{"confirm": {id}}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer delete: %d", r.Status)
	}
	if r := viewer.post("/importers", good); r.Status != http.StatusForbidden {
		t.Fatalf("viewer creates importer: %d", r.Status)
	}

	// Another organization's owner sees nothing of it.
	env.NewOrg(t, "intruders")
	intruder := &browser{t: t, base: env.URL}
	intruder.signIn("intruders@example.com", "test-password-1")
	for _, p := range []string{"/imports/" + id, "/imports/" + id + "/download?format=csv", "/importers/" + find(t, `/imports\?importer=(ipr_[a-z0-9]+)`, page.Body)} {
		if r := intruder.get(p); r.Status != http.StatusNotFound {
			t.Errorf("another organization GET %s: %d", p, r.Status)
		}
	}
	if r := intruder.post("/imports/"+id+"/delete", url.Values{"confirm": {id}}); r.Status != http.StatusNotFound {
		t.Errorf("another organization deletes: %d", r.Status)
	}

	// Delete: a wrong confirmation does nothing; the right one purges and
	// the receipt shows in the import log.
	if r := owner.post("/imports/"+id+"/delete", url.Values{"confirm": {"nope"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unconfirmed delete: %d", r.Status)
	}
	if r := owner.post("/imports/"+id+"/delete", url.Values{"confirm": {id}}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	gone := owner.get("/imports/" + id)
	if strings.Contains(gone.Body, "Zoë") || !strings.Contains(gone.Body, "import.purged") {
		t.Fatal("rows still shown or no receipt after delete")
	}
	if r := owner.get("/imports/" + id + "/download?format=csv"); r.Status != http.StatusGone {
		t.Fatalf("download after delete: %d", r.Status)
	}
	for _, v := range []string{"Zoë", "@SUM(A1)", "=1+2"} {
		if strings.Contains(env.Logs.String(), v) {
			t.Fatalf("the server log holds the cell value %q", v)
		}
	}
}

// TestDeleteAllData: "delete all data" needs the organization's name typed,
// is refused to a member, shreds every import of the organization and no
// other's, and lists a receipt per import.
func TestDeleteAllData(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	var im struct{ Key string }
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "x", "template": json.RawMessage(tmpl)}, &im)
	ids := []string{
		upload(t, env.URL, im.Key, []string{"name"}, [][]*string{{str("a")}}, 10),
		upload(t, env.URL, im.Key, []string{"name"}, [][]*string{{str("b")}}, 10),
	}
	otherOrg, otherKey := env.NewOrg(t, "bystander")
	var other struct{ Key string }
	env.Do(t, "POST", "/api/v1/importers", otherKey, map[string]any{"name": "y", "template": json.RawMessage(tmpl)}, &other)
	kept := upload(t, env.URL, other.Key, []string{"name"}, [][]*string{{str("c")}}, 10)

	inv := owner.post("/team/invites", url.Values{"email": {"member@example.com"}, "role": {"member"}})
	member := &browser{t: t, base: env.URL}
	member.post(strings.TrimPrefix(find(t, `id="invite-url" tabindex="0">([^<]+)<`, inv.Body), env.URL), url.Values{"password": {password}, "password2": {password}})
	if r := member.post("/data/delete", url.Values{"confirm": {"x"}}); r.Status != http.StatusForbidden {
		t.Fatalf("member deletes all: %d", r.Status)
	}
	org := find(t, `<strong>([^<]+)</strong>, to confirm`, owner.get("/data").Body)
	if r := owner.post("/data/delete", url.Values{"confirm": {org + " "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="confirm-org-err"`) {
		t.Fatalf("wrong confirmation: %d", r.Status)
	}
	if r := owner.post("/data/delete", url.Values{"confirm": {org}}); r.Status != http.StatusSeeOther {
		t.Fatalf("delete all: %d %s", r.Status, r.Body)
	}
	page := owner.get("/data")
	for _, id := range ids {
		got, err := env.Server.Store.Import(context.Background(), env.OrgID, id)
		if err != nil || got.Status != "purged" || !strings.Contains(page.Body, id) {
			t.Errorf("import %s: %s %v, listed %v", id, got.Status, err, strings.Contains(page.Body, id))
		}
	}
	if !strings.Contains(page.Body, "verifies: 2 receipts") {
		t.Error("receipt chain not verified on the page")
	}
	if got, _ := env.Server.Store.Import(context.Background(), otherOrg, kept); got.Status != "completed" {
		t.Fatalf("another organization's import: %s", got.Status)
	}
}

// TestTwoStepSignIn: the second factor is saved only with a matching code;
// then the password alone signs nobody in, a wrong code ends the attempt, a
// used code does not work twice, and a current code finishes the sign-in
// with a fresh session id.
func TestTwoStepSignIn(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	email := ownerEmail(t, env)
	b := &browser{t: t, base: env.URL}
	b.signIn(email, "test-password-1")
	r := b.post("/account/totp/start", nil)
	secret := find(t, `id="totp-secret">([A-Z2-7]+)<`, r.Body)
	if r := b.post("/account/totp/enable", url.Values{"secret": {secret}, "password": {"test-password-1"}, "code": {"000000"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong enabling code: %d", r.Status)
	}
	if r := b.post("/account/totp/enable", url.Values{"secret": {secret}, "password": {"test-password-1"}, "code": {dashboard.TOTPNow(secret, 0)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	b.post("/logout", nil)

	login := func() *browser {
		c := &browser{t: t, base: env.URL}
		r := c.post("/login", url.Values{"email": {email}, "password": {"test-password-1"}, "next": {"/team"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login/code") {
			t.Fatalf("password step: %d to %q", r.Status, r.Location)
		}
		if r := c.get("/imports"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("the password alone signed in: %d", r.Status)
		}
		return c
	}
	c := login()
	if r := c.post("/login/code", url.Values{"code": {"123456"}}); r.Status != http.StatusUnauthorized || c.session != "" {
		t.Fatalf("wrong code: %d", r.Status)
	}
	if r := c.post("/login/code", url.Values{"code": {dashboard.TOTPNow(secret, 0)}}); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("code after a wrong one, without the password again: %d %q", r.Status, r.Location)
	}
	c = login()
	pending := c.session
	// The enabling code used this step (or the one before), so take the next.
	code := dashboard.TOTPNow(secret, 1)
	if r := c.post("/login/code", url.Values{"code": {code}, "next": {"/team"}}); r.Status != http.StatusSeeOther || r.Location != "/team" {
		t.Fatalf("code step: %d to %q", r.Status, r.Location)
	}
	if c.session == pending || c.get("/imports").Status != 200 {
		t.Fatal("not signed in with a fresh session id")
	}
	d := login()
	if r := d.post("/login/code", url.Values{"code": {code}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", r.Status)
	}
}
