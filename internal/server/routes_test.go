package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// The route matrix: for every route the server registers (Server.Routes,
// recorded by the registration itself), what each kind of wrong credential
// gets. A route missing from routeMatrix, or a case left empty, fails
// TestRouteMatrix, so a new route cannot land without saying how another
// organization, a viewer, a revoked credential and an expired one are
// answered.
//
// The four kinds, per family of routes:
//
//   - other org: organization B's credential (its API key, its owner's
//     session, its own upload token) on organization A's objects.
//   - viewer: a viewer of organization A (dashboard roles; API keys and
//     upload tokens carry no role).
//   - revoked: a revoked API key; in the dashboard, a session ended by
//     signing out.
//   - expired: an upload token past its expiry; in the dashboard, a session
//     past its absolute lifetime.
var routeMatrix = map[string]routeCases{
	// The management API: API keys, scoped by their organization.
	"POST /api/v1/importers":                               mgmt(na("creates in the key's own organization, names no object of another"), ""),
	"GET /api/v1/importers":                                mgmt(hidden, ""),
	"GET /api/v1/importers/{id}":                           mgmt(want(404), ""),
	"PATCH /api/v1/importers/{id}":                         mgmt(want(404), `{"name":"taken over"}`),
	"DELETE /api/v1/importers/{id}":                        mgmt(want(404), ""),
	"GET /api/v1/importers/{id}/learned":                   mgmt(want(404), ""),
	"DELETE /api/v1/importers/{id}/learned":                mgmt(want(404), ""),
	"POST /api/v1/importers/{id}/files":                    mgmt(want(404), "id,email\n1,a@example.com\n"),
	"PUT /api/v1/importers/{id}/watch":                     mgmt(want(404), `{"bucket":"b","after":"tag"}`),
	"GET /api/v1/importers/{id}/watch":                     mgmt(want(404), ""),
	"DELETE /api/v1/importers/{id}/watch":                  mgmt(want(404), ""),
	"GET /api/v1/imports/{id}/errors":                      mgmt(want(404), ""),
	"GET /api/v1/imports/{id}/errors.csv":                  mgmt(want(404), ""),
	"GET /api/v1/imports":                                  mgmt(hidden, ""),
	"GET /api/v1/imports/{id}":                             mgmt(want(404), ""),
	"GET /api/v1/imports/{id}/rows":                        mgmt(want(404), ""),
	"GET /api/v1/imports/{id}/log":                         mgmt(want(404), ""),
	"DELETE /api/v1/imports/{id}":                          mgmt(want(404), ""),
	"DELETE /api/v1/data":                                  mgmt(want(404), "").at("/api/v1/data?importer={importer}"),
	"GET /api/v1/imports/{id}/download":                    mgmt(want(404), ""),
	"POST /api/v1/importers/{id}/destinations":             mgmt(want(404), `{"type":"webhook","url":"http://127.0.0.1:9/hook"}`),
	"GET /api/v1/importers/{id}/destinations":              mgmt(want(404), ""),
	"GET /api/v1/importers/{id}/destinations/{dest}":       mgmt(want(404), ""),
	"PATCH /api/v1/importers/{id}/destinations/{dest}":     mgmt(want(404), `{"enabled":false}`),
	"DELETE /api/v1/importers/{id}/destinations/{dest}":    mgmt(want(404), ""),
	"POST /api/v1/importers/{id}/destinations/{dest}/test": mgmt(want(404), ""),
	"GET /api/v1/imports/{id}/deliveries":                  mgmt(want(404), ""),
	"POST /api/v1/imports/{id}/deliveries/{dest}/replay":   mgmt(want(404), ""),
	"/api/": public("answers 404 not_found to any path under /api/ no other route takes").at("/api/v1/nothing-here"),

	// The upload API: the importer's public key opens an import, its
	// upload token (returned once) sends chunks to that import only.
	"POST /api/v1/uploads":                public("the importer key is in every page that embeds it; creation is bounded (docs/security.md), not authenticated").body(`{"importer":"{importer_key}","columns":["name"],"source":{"format":"csv","size_bytes":10},"rows":1}`),
	"GET /api/v1/uploads/{id}":            uploadRoute(""),
	"PUT /api/v1/uploads/{id}/chunks/{n}": uploadRoute(`{"first_row":0,"rows":[["x",null,null]]}`),
	"POST /api/v1/uploads/{id}/complete":  uploadRoute(`{"chunks":1,"rows":1}`),

	// The widget: public pages and assets, showing an importer's template.
	"GET /embed.js":             public("the loader script, the same for everyone"),
	"GET /embed/{importer}":     public("the importer page: its template and settings are meant for every end user").anon(403, "opened without embed.js's channel"),
	"GET /i/{importer}":         public("the standalone importer page, as /embed/{importer}"),
	"GET /demo":                 public("the demo host page (only when the demo is on)"),
	"GET /widget/assets/{file}": public("built widget assets, named by content hash"),
	"GET /healthz":              public("liveness: says only ok"),
	"GET /readyz":               public("readiness: says only whether the database and blob store answer"),
	"GET /metrics":              public("Prometheus metrics carry counts and durations, no id or value; on this listener only with --metrics-token (docs/security.md)").anon(404, "no --metrics-token is set (metrics are off on the public listener by default)"),
	"GET /static/{file}":        public("the dashboard's stylesheet and scripts"),
	"GET /setup":                public("first-run setup; answers only with a valid setup link and no user yet"),
	"POST /setup":               public("first-run setup; answers only with a valid setup link and no user yet"),
	"GET /login":                public("the sign-in page"),
	"POST /login":               public("sign-in itself (throttled, docs/security.md)").anon(401, "no password sent"),
	"POST /logout":              public("ends the caller's own session, if any"),
	"GET /login/code":           public("the second-factor page; needs the pending session of a correct password"),
	"POST /login/code":          public("the second factor; needs the pending session of a correct password"),
	"GET /invite/{token}":       public("the invitation's secret token is the credential"),
	"POST /invite/{token}":      public("the invitation's secret token is the credential").form("password=short"),

	// The dashboard: sessions, roles, every id scoped by the session's
	// organization.
	"GET /{$}":                                        dash(na("names no object: redirects to /imports"), allowed),
	"GET /account":                                    dash(ownAccount, allowed),
	"POST /account/totp/start":                        dash(ownAccount, allowed),
	"POST /account/totp/enable":                       dash(ownAccount, allowed),
	"POST /account/totp/disable":                      dash(ownAccount, allowed),
	"GET /importers":                                  dash(hidden, allowed),
	"GET /importers/new":                              dash(na("names no object: a blank form"), want(403)),
	"POST /importers":                                 dash(na("creates in the session's own organization, names no object of another"), want(403)),
	"GET /importers/{id}":                             dash(want(404), allowed),
	"POST /importers/{id}":                            dash(want(404), want(403)),
	"POST /importers/{id}/delete":                     dash(want(404), want(403)),
	"POST /importers/{id}/learned/forget":             dash(want(404), want(403)),
	"GET /importers/{id}/destinations/new":            dash(want(404), want(403)),
	"POST /importers/{id}/destinations":               dash(want(404), want(403)).form("type=webhook&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook"),
	"GET /importers/{id}/destinations/{dest}":         dash(want(404), allowed),
	"POST /importers/{id}/destinations/{dest}":        dash(want(404), want(403)),
	"POST /importers/{id}/destinations/{dest}/delete": dash(want(404), want(403)),
	"POST /importers/{id}/destinations/{dest}/test":   dash(want(404), want(403)),
	"POST /imports/{id}/deliveries/{dest}/replay":     dash(want(404), want(403)),
	"GET /imports":                                    dash(hidden, allowed),
	"GET /imports/{id}":                               dash(want(404), allowed),
	"GET /imports/{id}/download":                      dash(want(404), want(403)),
	"POST /imports/{id}/delete":                       dash(want(404), want(403)).form("confirm={import}"),
	"GET /data":                                       dash(hidden, allowed),
	"POST /data/delete":                               dash(na("purges the session's own organization, names no object of another"), want(403)).form("confirm=x"),
	"GET /team":                                       dash(hidden, allowed),
	"POST /team/invites":                              dash(na("invites into the session's own organization, names no object of another"), want(403)).form("email=new%40example.com&role=viewer"),
	"POST /team/invites/{id}/delete":                  dash(want(404), want(403)),
	"POST /team/members/{id}":                         dash(want(404), want(403)).form("role=admin"),
	"POST /team/members/{id}/delete":                  dash(want(404), want(403)),
	"POST /team/members/{id}/unlock":                  dash(want(404), want(403)),
	"POST /team/keys":                                 dash(na("creates a key of the session's own organization"), want(403)),
	"POST /team/keys/{id}/revoke":                     dash(want(404), want(403)),
}

// ownAccount: the route acts on the signed-in user's own account.
var ownAccount = na("acts on the signed-in user's own account, names no object")

// verdict is what one kind of credential must get on one route: a status,
// "allowed" (any answer but 401, 403, 404 or 5xx: the credential passes and
// the handler runs), "hidden" (200 without any of the other organization's
// ids), or not applicable, with the reason.
type verdict struct {
	status  int
	allowed bool
	hidden  bool
	na      string
}

func want(code int) verdict    { return verdict{status: code} }
func na(reason string) verdict { return verdict{na: "not applicable: " + reason} }

var (
	allowed = verdict{allowed: true}
	hidden  = verdict{hidden: true}
)

func (v verdict) empty() bool { return v == verdict{} }

// routeCases is one route's four verdicts and how to call it.
type routeCases struct {
	otherOrg, viewer, revoked, expired verdict
	// path overrides the pattern's path (with its query); wildcards in
	// braces are filled from the fixture either way.
	path string
	// payload is sent as JSON (API routes) or as a form (dashboard).
	payload string
	isForm  bool
	// publicRoute: callable with no credential at all; it is called so, and
	// must not answer 401 or 403.
	publicRoute bool
	// anonStatus is the answer a public route must give the request above
	// when it is not any public answer (not 401, 403 or 5xx).
	anonStatus int
	family     string
}

func (c routeCases) at(path string) routeCases   { c.path = path; return c }
func (c routeCases) body(json string) routeCases { c.payload = json; return c }
func (c routeCases) anon(code int, why string) routeCases {
	c.anonStatus = code
	for _, v := range []*verdict{&c.otherOrg, &c.viewer, &c.revoked, &c.expired} {
		v.na += fmt.Sprintf("; answers %d when %s", code, why)
	}
	return c
}
func (c routeCases) form(f string) routeCases { c.payload, c.isForm = f, true; return c }

// mgmt: a management API route. Its verdict for another organization's key
// is given; a viewer and an upload token do not apply to API keys.
func mgmt(otherOrg verdict, body string) routeCases {
	return routeCases{family: "api", otherOrg: otherOrg, revoked: want(401), payload: body,
		viewer:  na("API keys carry no role: a key acts for its whole organization"),
		expired: na("takes an API key; API keys do not expire, they are revoked (see revoked)")}
}

// uploadRoute: an upload route after creation, opened by the import's
// upload token only.
func uploadRoute(body string) routeCases {
	return routeCases{family: "upload", otherOrg: want(401), expired: want(401), payload: body,
		viewer:  na("an upload token carries no role"),
		revoked: na("upload tokens are not revoked, they expire (see expired)")}
}

// dash: a dashboard route behind a session.
func dash(otherOrg, viewer verdict) routeCases {
	return routeCases{family: "dashboard", otherOrg: otherOrg, viewer: viewer, revoked: want(401), expired: want(401)}
}

// public: a route anyone may call.
func public(reason string) routeCases {
	v := na("public: " + reason)
	return routeCases{family: "public", publicRoute: true, otherOrg: v, viewer: v, revoked: v, expired: v}
}

// uncovered lists the registered routes without a complete entry in
// matrix, and the entries that name no registered route.
func uncovered(routes []string, matrix map[string]routeCases) (missing, stale []string) {
	for _, r := range routes {
		c, ok := matrix[r]
		switch {
		case !ok:
			missing = append(missing, r+": no entry")
		case c.otherOrg.empty():
			missing = append(missing, r+": no case for another organization's credential")
		case c.viewer.empty():
			missing = append(missing, r+": no case for a viewer")
		case c.revoked.empty():
			missing = append(missing, r+": no case for a revoked credential")
		case c.expired.empty():
			missing = append(missing, r+": no case for an expired credential")
		}
	}
	for p := range matrix {
		if !slices.Contains(routes, p) {
			stale = append(stale, p)
		}
	}
	slices.Sort(stale)
	return missing, stale
}

// fixture holds organization A's objects and every credential the matrix
// uses.
type fixture struct {
	env                  *servertest.Env
	values               map[string]string // wildcard → org A's object
	secretsA             []string          // ids and keys of org A that org B must never see
	keyB, revokedKeyA    string
	tokenB               string // org B's own upload token
	expiredUpload        upload // org A's upload whose token has expired
	sessOwnerB, sessView string
	sessRevoked, sessOld string
}

func TestRouteMatrix(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	routes := env.Server.Routes
	if len(routes) < 60 {
		t.Fatalf("only %d routes registered: the router no longer records them all?", len(routes))
	}

	t.Run("coverage", func(t *testing.T) {
		missing, stale := uncovered(routes, routeMatrix)
		for _, m := range missing {
			t.Errorf("route %s (add it to routeMatrix in routes_test.go)", m)
		}
		for _, s := range stale {
			t.Errorf("routeMatrix has %q, which is not registered", s)
		}
	})
	t.Run("a route without a case fails", func(t *testing.T) {
		// What the coverage check says the day someone registers a route
		// and forgets the matrix, or leaves one case out.
		matrix := map[string]routeCases{}
		for p, c := range routeMatrix {
			matrix[p] = c
		}
		c := matrix["GET /api/v1/imports/{id}"]
		c.viewer = verdict{}
		matrix["GET /api/v1/imports/{id}"] = c
		missing, _ := uncovered(append(slices.Clone(routes), "GET /api/v1/imports/{id}/new-thing"), matrix)
		want := []string{"GET /api/v1/imports/{id}: no case for a viewer", "GET /api/v1/imports/{id}/new-thing: no entry"}
		if !slices.Equal(missing, want) {
			t.Errorf("uncovered = %q, want %q", missing, want)
		}
	})

	checkRoutes(t, env)
	// The same cases on the scaled-out backends: the store's scoping is
	// SQL of both dialects.
	t.Run("postgres+s3", func(t *testing.T) {
		checkRoutes(t, servertest.Start(t, servertest.Options{Postgres: true, S3: true, Configure: servertest.AllowLoopback}))
	})
}

// checkRoutes runs every route's cases against env and then checks that
// organization A lost nothing.
func checkRoutes(t *testing.T, env *servertest.Env) {
	t.Helper()
	f := setupFixture(t, env)
	for _, pattern := range env.Server.Routes {
		c, ok := routeMatrix[pattern]
		if !ok {
			continue // reported by coverage
		}
		t.Run(pattern, func(t *testing.T) {
			method, path := f.request(t, pattern, c)
			if c.publicRoute {
				code, _ := f.call(t, c, method, path, anonymous)
				if c.anonStatus != 0 && code != c.anonStatus {
					t.Errorf("anonymous: %d, want %d", code, c.anonStatus)
				} else if c.anonStatus == 0 && (code == 401 || code == 403 || code >= 500) {
					t.Errorf("anonymous: %d, want a public answer (not 401, 403 or 5xx)", code)
				}
				return
			}
			for _, kind := range []struct {
				name string
				v    verdict
				cred credential
			}{
				{"other org", c.otherOrg, f.otherOrgCred(c)},
				{"viewer", c.viewer, f.viewerCred(c)},
				{"revoked", c.revoked, f.revokedCred(c)},
				{"expired", c.expired, f.expiredCred(c)},
			} {
				if kind.v.na != "" {
					continue
				}
				p := path
				if kind.name == "expired" && c.family == "upload" {
					p = strings.Replace(path, f.values["upload"], f.expiredUpload.ImportID, 1)
				}
				code, body := f.call(t, c, method, p, kind.cred)
				switch v := kind.v; {
				case v.allowed:
					if code == 401 || code == 403 || code == 404 || code >= 500 {
						t.Errorf("%s: %d, want the handler to run (not 401, 403, 404 or 5xx)", kind.name, code)
					}
				case v.hidden:
					if code != http.StatusOK {
						t.Errorf("%s: %d, want 200", kind.name, code)
					}
				case code != v.status:
					t.Errorf("%s: %d, want %d", kind.name, code, v.status)
				}
				if kind.name == "other org" {
					for _, secret := range f.secretsA {
						if strings.Contains(body, secret) {
							t.Errorf("other org: the answer shows organization A's %s", secret)
						}
					}
				}
			}
		})
	}

	// Nothing organization A owns was changed by the calls above: every
	// object still answers to A's own key.
	for _, p := range []string{"/api/v1/importers/{importer}", "/api/v1/imports/{import}/rows",
		"/api/v1/importers/{importer}/destinations/{dest}", "/api/v1/imports/{import}/deliveries"} {
		if code := env.Do(t, "GET", f.fill(t, p), env.APIKey, nil, nil); code != http.StatusOK {
			t.Errorf("after the matrix, A's %s: %d", p, code)
		}
	}
	if us, err := env.Server.Store.Users(context.Background(), env.OrgID); err != nil || len(us) != 2 {
		t.Errorf("after the matrix, A has %d users (%v), want 2", len(us), err)
	}
}

// credential is how one request authenticates.
type credential struct {
	bearer  string
	session string
}

var anonymous = credential{}

func (f *fixture) otherOrgCred(c routeCases) credential {
	switch c.family {
	case "api":
		return credential{bearer: f.keyB}
	case "upload":
		return credential{bearer: f.tokenB}
	}
	return credential{session: f.sessOwnerB}
}

func (f *fixture) viewerCred(routeCases) credential { return credential{session: f.sessView} }

func (f *fixture) revokedCred(c routeCases) credential {
	if c.family == "api" {
		return credential{bearer: f.revokedKeyA}
	}
	return credential{session: f.sessRevoked}
}

func (f *fixture) expiredCred(c routeCases) credential {
	if c.family == "upload" {
		return credential{bearer: f.expiredUpload.UploadToken}
	}
	return credential{session: f.sessOld}
}

var wildcard = regexp.MustCompile(`\{([a-z_]+)(?:\.\.\.)?\}`)

// request turns a pattern into a method and a path to org A's objects: each
// wildcard is filled by what the segment before it names.
func (f *fixture) request(t *testing.T, pattern string, c routeCases) (method, path string) {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.TrimSuffix(path, "{$}")
	if c.path != "" {
		return method, f.fill(t, c.path)
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		m := wildcard.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		name := segs[i-1] + "/" + m[1]
		v, ok := map[string]string{
			"importers/id": "importer", "imports/id": "import", "uploads/id": "upload", "destinations/dest": "dest",
			"deliveries/dest": "dest", "chunks/n": "chunk", "invite/token": "invite_token", "invites/id": "invite",
			"members/id": "viewer_user", "keys/id": "api_key", "static/file": "static_file", "assets/file": "asset_file",
			"embed/importer": "importer_key", "i/importer": "importer_key",
		}[name]
		if !ok {
			t.Fatalf("no fixture for the wildcard %s of %s: add one to fixture.request", name, pattern)
		}
		segs[i] = "{" + v + "}"
	}
	return method, f.fill(t, strings.Join(segs, "/"))
}

// fill replaces {name} by the fixture's value of name.
func (f *fixture) fill(t *testing.T, s string) string {
	t.Helper()
	return wildcard.ReplaceAllStringFunc(s, func(w string) string {
		v, ok := f.values[strings.Trim(w, "{}")]
		if !ok {
			t.Fatalf("no fixture value %s", w)
		}
		return v
	})
}

func (f *fixture) call(t *testing.T, c routeCases, method, path string, cred credential) (int, string) {
	t.Helper()
	var body io.Reader
	if c.payload != "" || method != "GET" {
		body = strings.NewReader(f.fill(t, c.payload))
	}
	req, err := http.NewRequest(method, f.env.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.isForm || (c.family != "api" && c.family != "upload" && method == "POST" && c.payload == "") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// A same-origin browser request, so that the dashboard's cross-origin
	// protection lets it through to the check under test.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if cred.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+cred.bearer)
	}
	if cred.session != "" {
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: cred.session})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	code := resp.StatusCode
	// A GET without a valid session is sent to sign in; for the matrix
	// that is the dashboard's 401.
	if code == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		code = http.StatusUnauthorized
	}
	return code, string(data)
}

// setupFixture makes organization A's objects (an importer with a
// destination, a completed import with a delivery, an open upload, an
// upload whose token expired, a pending invitation, a second API key, a
// viewer) and organization B with its own key, session and upload token.
func setupFixture(t *testing.T, env *servertest.Env) *fixture {
	t.Helper()
	ctx := context.Background()
	st := env.Server.Store
	f := &fixture{env: env, values: map[string]string{"chunk": "0"}}

	imA := createImporter(t, env, env.APIKey, nil)
	dest := createDestination(t, env, imA.ID, map[string]any{"type": "webhook", "url": "http://127.0.0.1:9/hook"})
	done := createUpload(t, env, imA.Key, []string{"name", "email", "amount"}, 1)
	if code, body := putChunk(t, env, done, 0, chunkBody(0, makeRows(1, "matrix")), false); code != http.StatusOK {
		t.Fatalf("chunk: %d %s", code, body)
	}
	if code, body := complete(t, env, done, `{"chunks":1,"rows":1}`); code != http.StatusOK {
		t.Fatalf("complete: %d %s", code, body)
	}
	open := createUpload(t, env, imA.Key, []string{"name", "email", "amount"}, 1)
	f.expiredUpload = createUpload(t, env, imA.Key, []string{"name", "email", "amount"}, 1)
	if _, err := st.WriteDB().ExecContext(ctx, `UPDATE imports SET token_expires_at = $1 WHERE id = $2`,
		time.Now().Add(-time.Minute).UnixMicro(), f.expiredUpload.ImportID); err != nil {
		t.Fatal(err)
	}

	// A second key of A, to be the target of revocation, and a revoked one.
	keyA2 := "ik_" + store.RandomToken(32)
	f.revokedKeyA = "ik_" + store.RandomToken(32)
	for _, k := range []string{keyA2, f.revokedKeyA} {
		if err := st.CreateAPIKey(ctx, env.OrgID, k[:10], store.HashSecret(k)); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := st.APIKeys(ctx, env.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		switch k.Prefix {
		case f.revokedKeyA[:10]:
			if err := st.RevokeAPIKey(ctx, env.OrgID, k.ID); err != nil {
				t.Fatal(err)
			}
		case keyA2[:10]:
			f.values["api_key"] = k.ID
		}
	}
	if code := env.Do(t, "GET", "/api/v1/importers", f.revokedKeyA, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the revoked key still works: %d", code)
	}

	// A viewer of A, and a pending invitation.
	viewerEmail, password := "viewer-"+store.RandomToken(4)+"@example.com", "viewer-password-1"
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	tok := store.RandomToken(16)
	if _, err := st.CreateInvite(ctx, env.OrgID, viewerEmail, store.RoleViewer, store.HashSecret(tok), time.Hour); err != nil {
		t.Fatal(err)
	}
	viewer, err := st.AcceptInvite(ctx, store.HashSecret(tok), hash)
	if err != nil {
		t.Fatal(err)
	}
	inviteToken := store.RandomToken(16)
	invite, err := st.CreateInvite(ctx, env.OrgID, "pending@example.com", store.RoleMember, store.HashSecret(inviteToken), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// Organization B: its key, its owner's session, its own upload.
	orgB := "org-b-" + store.RandomToken(4)
	_, f.keyB = env.NewOrg(t, orgB)
	imB := createImporter(t, env, f.keyB, nil)
	f.tokenB = createUpload(t, env, imB.Key, []string{"name"}, 1).UploadToken

	f.sessOwnerB = signIn(t, env, orgB+"@example.com", "test-password-1")
	f.sessView = signIn(t, env, viewerEmail, password)
	f.sessRevoked = signIn(t, env, viewerEmail, password)
	if code, _ := f.call(t, routeCases{isForm: true}, "POST", "/logout", credential{session: f.sessRevoked}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	f.sessOld = signIn(t, env, viewerEmail, password)
	if _, err := st.WriteDB().ExecContext(ctx, `UPDATE sessions SET created_at = $1 WHERE id_hash = $2`,
		time.Now().Add(-8*24*time.Hour).UnixMicro(), store.HashSecret(f.sessOld)); err != nil {
		t.Fatal(err)
	}

	page := func(path, re string) string {
		t.Helper()
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(re).FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no %s", path, re)
		}
		return string(m[1])
	}
	f.values["importer"], f.values["importer_key"] = imA.ID, imA.Key
	f.values["import"], f.values["upload"], f.values["dest"] = done.ImportID, open.ImportID, dest.ID
	f.values["invite"], f.values["invite_token"], f.values["viewer_user"] = invite.ID, inviteToken, viewer.ID
	f.values["static_file"] = page("/login", `/static/([^"?]+)`)
	f.values["asset_file"] = page("/i/"+imA.Key, `/widget/assets/([^"?]+)`)
	f.secretsA = []string{imA.ID, imA.Key, done.ImportID, open.ImportID, dest.ID, invite.ID, viewer.ID, viewerEmail}
	return f
}

// signIn signs in through the real form and returns the session cookie.
func signIn(t *testing.T, env *servertest.Env, email, password string) string {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	req, _ := http.NewRequest("POST", env.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == dashboard.CookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("sign in as %s: %d, no session", email, resp.StatusCode)
	return ""
}
