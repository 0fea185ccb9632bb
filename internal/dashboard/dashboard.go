// Package dashboard is the team's server-rendered web app: first-run setup,
// sign-in, importers and their templates, imports with a paged data grid and
// downloads, the team and API keys. Handlers are small, one file per action,
// and every storage call is scoped by the signed-in user's organization (an
// id of another organization is a 404). State changes are POSTs behind
// Go's cross-origin protection; the only cookie is the session cookie. It
// never logs a cell value, and pages load nothing from another origin.
package dashboard

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Options configure the dashboard. Store, Vault, Rows and Logger are required.
type Options struct {
	Store *store.Store
	// Vault seals and opens users' TOTP secrets.
	Vault *vault.Vault
	// Rows reads imports' rows for the grid and downloads.
	Rows   *rows.Reader
	Logger *slog.Logger
	// Retention purges imports with receipts; nil hides the delete buttons.
	Retention *retention.Service
	// Delivery manages destinations and deliveries; nil hides them.
	Delivery *delivery.Service
	// PublicURL is the external base URL used in embed snippets and invite
	// links; empty means the scheme and host of the request.
	PublicURL string
	// IdleTimeout ends a session unused for this long (default 12 hours).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends any session this long after sign-in (default 7 days).
	AbsoluteTimeout time.Duration
	// InviteTTL is how long an invite link works (default 7 days).
	InviteTTL time.Duration
}

// Handler serves the dashboard.
type Handler struct {
	o     Options
	pages map[string]*template.Template
	files *staticFiles
	// checks bounds concurrent argon2id checks (64 MiB each), so a burst of
	// sign-in attempts cannot exhaust memory.
	checks chan struct{}
	// cleanChecks is one more argon2id slot, kept for sign-in attempts of
	// an account and client with (almost) no recent attempts, so that a
	// flood of guesses from throttled clients does not queue real
	// sign-ins behind it (see acquireCheck).
	cleanChecks chan struct{}
	// throttle counts sign-in attempts per account and per client, in
	// memory on this node (see throttle.go).
	throttle *throttle
	// dummyHash is checked when a sign-in names an unknown email, so that a
	// wrong email and a wrong password take the same time. Made at first
	// use: an argon2id hash costs 64 MiB, which servers that never see a
	// sign-in (tests, API-only use) need not spend.
	dummyHash func() string
}

// New parses the embedded templates and returns the dashboard.
func New(o Options) (*Handler, error) {
	if o.Store == nil || o.Vault == nil || o.Rows == nil || o.Logger == nil {
		return nil, errors.New("dashboard: Store, Vault, Rows and Logger are required")
	}
	o.IdleTimeout = cmp.Or(o.IdleTimeout, 12*time.Hour)
	o.AbsoluteTimeout = cmp.Or(o.AbsoluteTimeout, 7*24*time.Hour)
	o.InviteTTL = cmp.Or(o.InviteTTL, 7*24*time.Hour)
	h := &Handler{o: o, checks: make(chan struct{}, 1), cleanChecks: make(chan struct{}, 1), throttle: newThrottle(time.Now)}
	h.dummyHash = sync.OnceValue(func() string {
		hash, _ := auth.HashPassword(store.RandomToken(16)) // 26 characters: always a valid password
		return hash
	})
	var err error
	if h.files, err = loadStatic(); err != nil {
		return nil, err
	}
	if h.pages, err = parsePages(h.files); err != nil {
		return nil, err
	}
	return h, nil
}

// Register adds the dashboard's routes to mux, each behind cross-origin
// protection (a POST from another origin is refused before any handler runs).
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	route := func(pattern string, fn http.Handler) { mux.Handle(pattern, cop.Handler(pageHeaders(fn))) }

	route("GET /static/{file}", http.HandlerFunc(h.files.serve))
	route("GET /{$}", h.signedIn(store.RoleViewer, func(w http.ResponseWriter, r *http.Request, s *session) error {
		http.Redirect(w, r, "/imports", http.StatusSeeOther)
		return nil
	}))
	route("GET /setup", h.handle(h.setupShow))
	route("POST /setup", h.handle(h.setupSubmit))
	route("GET /login", h.handle(h.loginShow))
	route("POST /login", h.handle(h.loginSubmit))
	route("POST /logout", h.handle(h.logout))
	route("GET /login/code", h.handle(h.loginCodeShow))
	route("POST /login/code", h.handle(h.loginCodeSubmit))
	route("GET /account", h.signedIn(store.RoleViewer, h.accountShow))
	route("POST /account/totp/start", h.signedIn(store.RoleViewer, h.totpStart))
	route("POST /account/totp/enable", h.signedIn(store.RoleViewer, h.totpEnable))
	route("POST /account/totp/disable", h.signedIn(store.RoleViewer, h.totpDisable))
	route("GET /invite/{token}", h.handle(h.inviteShow))
	route("POST /invite/{token}", h.handle(h.inviteAccept))

	route("GET /importers", h.signedIn(store.RoleViewer, h.importerList))
	route("GET /importers/new", h.signedIn(store.RoleMember, h.importerNew))
	route("POST /importers", h.signedIn(store.RoleMember, h.importerCreate))
	route("GET /importers/{id}", h.signedIn(store.RoleViewer, h.importerEdit))
	route("POST /importers/{id}", h.signedIn(store.RoleMember, h.importerUpdate))
	route("POST /importers/{id}/delete", h.signedIn(store.RoleAdmin, h.importerDelete))
	route("POST /importers/{id}/learned/forget", h.signedIn(store.RoleMember, h.learnedForget))

	if h.o.Delivery != nil {
		route("GET /importers/{id}/destinations/new", h.signedIn(store.RoleAdmin, h.destinationNew))
		route("POST /importers/{id}/destinations", h.signedIn(store.RoleAdmin, h.destinationCreate))
		route("GET /importers/{id}/destinations/{dest}", h.signedIn(store.RoleViewer, h.destinationEdit))
		route("POST /importers/{id}/destinations/{dest}", h.signedIn(store.RoleAdmin, h.destinationUpdate))
		route("POST /importers/{id}/destinations/{dest}/delete", h.signedIn(store.RoleAdmin, h.destinationDelete))
		route("POST /importers/{id}/destinations/{dest}/test", h.signedIn(store.RoleAdmin, h.destinationTest))
		route("POST /imports/{id}/deliveries/{dest}/replay", h.signedIn(store.RoleMember, h.deliveryReplay))
	}

	route("GET /imports", h.signedIn(store.RoleViewer, h.importList))
	route("GET /imports/{id}", h.signedIn(store.RoleViewer, h.importShow))
	route("GET /imports/{id}/download", h.signedIn(store.RoleMember, h.importDownload))
	route("POST /imports/{id}/delete", h.signedIn(store.RoleAdmin, h.importDelete))

	route("GET /data", h.signedIn(store.RoleViewer, h.dataShow))
	route("POST /data/delete", h.signedIn(store.RoleAdmin, h.dataDelete))

	route("GET /team", h.signedIn(store.RoleViewer, h.teamShow))
	route("POST /team/invites", h.signedIn(store.RoleAdmin, h.inviteCreate))
	route("POST /team/invites/{id}/delete", h.signedIn(store.RoleAdmin, h.inviteDelete))
	route("POST /team/members/{id}", h.signedIn(store.RoleAdmin, h.memberUpdate))
	route("POST /team/members/{id}/delete", h.signedIn(store.RoleAdmin, h.memberRemove))
	route("POST /team/members/{id}/unlock", h.signedIn(store.RoleOwner, h.memberUnlock))
	route("POST /team/keys", h.signedIn(store.RoleAdmin, h.apiKeyCreate))
	route("POST /team/keys/{id}/revoke", h.signedIn(store.RoleAdmin, h.apiKeyRevoke))
}

// maxFormBytes bounds a posted form (a template is at most 1 MiB of JSON).
const maxFormBytes = 2 << 20

// pageHeaders: a strict CSP (scripts and styles from this origin only,
// nothing framing the dashboard), no caching of pages that show data, and a
// bound on request bodies.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		// A window the dashboard opens, or that opens it, from another
		// origin gets no handle on it (tabnabbing, cross-site leaks).
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hd.Get("Cache-Control") == "" {
			hd.Set("Cache-Control", "no-store")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// errForbidden is returned by a handler when the user's role is too low.
var errForbidden = errors.New("forbidden")

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle turns a handler's error into an error page: 404 for anything not
// found (including another organization's ids), 403 for a role too low, 500
// otherwise, logged with the route and never a value.
func (h *Handler) handle(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			h.renderError(w, r, http.StatusNotFound, "There is nothing here, or it belongs to another organization.")
		case errors.Is(err, rows.ErrUnreadable):
			h.renderError(w, r, http.StatusGone, "The rows of this import are no longer stored (deleted, bypassed or client-only).")
		case errors.Is(err, errForbidden):
			h.renderError(w, r, http.StatusForbidden, "Your role does not allow this. Ask an admin of your organization.")
		case errors.Is(err, context.Canceled):
		default:
			h.o.Logger.ErrorContext(r.Context(), "dashboard request failed", "method", r.Method, "route", r.Pattern, "err", err)
			h.renderError(w, r, http.StatusInternalServerError, "Something went wrong on our side; the error was logged.")
		}
	})
}

// view is what every page template gets.
type view struct {
	Title  string
	Nav    string
	User   *store.User
	Org    store.Organization
	Notice string
	D      any
}

// can reports whether the signed-in user has at least role.
func (v view) Can(role string) bool {
	return v.User != nil && store.RoleRank(v.User.Role) >= store.RoleRank(role)
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := h.pages[page]
	if !ok {
		return errors.New("no page template " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := view{Title: http.StatusText(status), D: msg}
	if s, err := h.currentSession(r); err == nil {
		v.User, v.Org = &s.User, s.Org
	}
	if err := h.render(w, r, status, "error", v); err != nil {
		http.Error(w, msg, status)
	}
}

// baseURL is where the dashboard is reached from outside.
func (h *Handler) baseURL(r *http.Request) string {
	if h.o.PublicURL != "" {
		return h.o.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
