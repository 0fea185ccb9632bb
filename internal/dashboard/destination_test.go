package dashboard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/server/servertest"
)

// hookLog is a webhook receiver on loopback that keeps every body it got.
type hookLog struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("Webhook-Signature") != "" {
		h.bodies = append(h.bodies, string(b))
	}
}

func (h *hookLog) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.bodies, "\n")
}

// TestDestinations: a webhook destination added in the form shows its
// secret once, refuses a bad URL next to the form, answers "send test
// event" with the attempt, receives an import, lists the delivery on the
// import page, delivers again on request, rotates its secret and goes.
func TestDestinations(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	hooks := &hookLog{}
	recv := httptest.NewServer(hooks)
	t.Cleanup(recv.Close)

	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	var im struct{ ID, Key string }
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "hooked", "template": json.RawMessage(tmpl)}, &im)

	if r := owner.get("/importers/" + im.ID + "/destinations/new?type=webhook"); r.Status != 200 || !strings.Contains(r.Body, `id="url"`) {
		t.Fatalf("new destination form: %d", r.Status)
	}
	r := owner.post("/importers/"+im.ID+"/destinations", url.Values{"type": {"webhook"}, "url": {"ftp://nope"}, "batch_size": {"2"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="dest-err"`) {
		t.Fatalf("bad URL: %d", r.Status)
	}
	r = owner.post("/importers/"+im.ID+"/destinations", url.Values{"type": {"webhook"}, "url": {recv.URL + "/hook"}, "batch_size": {"2"},
		"headers": {"X-Team: blue"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("add destination: %d %s", r.Status, r.Body)
	}
	secret := find(t, `id="new-secret" tabindex="0">([^<]+)<`, r.Body)
	dest := find(t, `/destinations/(dst_[a-z0-9]+)/test`, r.Body)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	edit := owner.get("/importers/" + im.ID + "/destinations/" + dest)
	if strings.Contains(edit.Body, secret) || !strings.Contains(edit.Body, "X-Team") {
		t.Fatal("edit page shows the secret again, or not the header name")
	}
	if page := owner.get("/importers/" + im.ID); !strings.Contains(page.Body, recv.URL+"/hook") {
		t.Fatal("importer page does not list the destination")
	}

	r = owner.post("/importers/"+im.ID+"/destinations/"+dest+"/test", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `id="test-result"`) || !strings.Contains(r.Body, "HTTP 200") {
		t.Fatalf("test event: %d %s", r.Status, r.Body)
	}

	id := upload(t, env.URL, im.Key, []string{"name", "formula", "amount"}, [][]*string{{str("Ann"), nil, str("1")}, {str("Bo"), nil, str("2")}, {str("Cy"), nil, str("3")}}, 3)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(hooks.all(), "Cy") {
		if time.Now().After(deadline) {
			t.Fatalf("rows not delivered; receiver got %q", hooks.all())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if list := owner.get("/imports"); !strings.Contains(list.Body, `class="status d-`) {
		t.Fatal("imports list shows no delivery state")
	}
	page := owner.get("/imports/" + id)
	if !strings.Contains(page.Body, `id="deliveries-h"`) || !strings.Contains(page.Body, dest) {
		t.Fatal("import page does not show the delivery")
	}
	if r := owner.post("/imports/"+id+"/deliveries/"+dest+"/replay", nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "replayed=1") {
		t.Fatalf("replay: %d", r.Status)
	}

	r = owner.post("/importers/"+im.ID+"/destinations/"+dest, url.Values{"url": {recv.URL + "/hook"}, "batch_size": {"2"}, "enabled": {"on"}, "rotate_secret": {"on"}})
	if r.Status != 200 || !strings.Contains(r.Body, `id="new-secret"`) || strings.Contains(r.Body, secret) || !strings.Contains(r.Body, `id="drop_old_secret"`) {
		t.Fatalf("rotate secret: %d", r.Status)
	}
	if r := owner.post("/importers/"+im.ID+"/destinations/"+dest+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.Status)
	}
	if r := owner.get("/importers/" + im.ID + "/destinations/" + dest); r.Status != http.StatusNotFound {
		t.Fatalf("removed destination: %d", r.Status)
	}
	intruder := &browser{t: t, base: env.URL}
	env.NewOrg(t, "peekers")
	intruder.signIn("peekers@example.com", "test-password-1")
	if r := intruder.get("/importers/" + im.ID + "/destinations/new"); r.Status != http.StatusNotFound {
		t.Fatalf("another organization's importer: %d", r.Status)
	}
}

// TestDestinationCredentials: S3 keys and a PostgreSQL URL are taken once
// and never shown again; saving the form with them blank keeps them.
func TestDestinationCredentials(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	owner := &browser{t: t, base: env.URL}
	owner.signIn(ownerEmail(t, env), "test-password-1")
	var im struct{ ID string }
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "creds", "template": json.RawMessage(tmpl)}, &im)
	for _, tc := range []struct {
		kind    string
		form    url.Values
		secret  string
		keptMsg string
	}{
		{"s3", url.Values{"bucket": {"exports"}, "region": {"eu-west-1"}, "endpoint": {"http://127.0.0.1:9"}, "key_template": {"imports/{import_id}.csv"},
			"format": {"csv"}, "access_key_id": {"AKIDEXAMPLE"}, "secret_access_key": {"s3-secret-canary"}}, "s3-secret-canary", "(set; blank keeps it)"},
		{"postgres", url.Values{"url": {"postgres://app:pg-secret-canary@127.0.0.1:5/app"}, "schema": {"public"}, "table": {"customers"}},
			"pg-secret-canary", "postgres://app:xxxxx@127.0.0.1:5/app; blank keeps it"},
	} {
		form := tc.form
		form.Set("type", tc.kind)
		form.Set("batch_size", "500")
		r := owner.post("/importers/"+im.ID+"/destinations", form)
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: create %d %s", tc.kind, r.Status, find(t, `(?s)<main[^>]*>(.*)</main>`, r.Body))
		}
		dest := find(t, `action="/importers/`+im.ID+`/destinations/(dst_[a-z0-9]+)"`, r.Body)
		edit := owner.get("/importers/" + im.ID + "/destinations/" + dest)
		if strings.Contains(r.Body+edit.Body, tc.secret) || !strings.Contains(edit.Body, tc.keptMsg) {
			t.Fatalf("%s: the credential is shown, or not said to be kept", tc.kind)
		}
		keep := url.Values{"batch_size": {"250"}, "enabled": {"on"}, "schema": {"public"}, "table": {"customers"}, "bucket": {"exports"},
			"region": {"eu-west-1"}, "endpoint": {"http://127.0.0.1:9"}, "key_template": {"imports/{import_id}.csv"}, "format": {"csv"}}
		if tc.kind == "postgres" {
			for _, k := range []string{"bucket", "region", "endpoint", "key_template", "format"} {
				keep.Del(k)
			}
		} else {
			keep.Del("schema")
			keep.Del("table")
		}
		if r := owner.post("/importers/"+im.ID+"/destinations/"+dest, keep); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: save with blank credentials: %d %s", tc.kind, r.Status, r.Body)
		}
		if after := owner.get("/importers/" + im.ID + "/destinations/" + dest); !strings.Contains(after.Body, tc.keptMsg) || !strings.Contains(after.Body, `value="250"`) {
			t.Fatalf("%s: credentials lost or batch size not saved", tc.kind)
		}
	}
}
