package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/intakehq/intake/internal/store"
)

// CookieName is the dashboard's one cookie. The __Host- prefix makes the
// browser refuse it unless it is Secure, host-only and for Path=/, so a
// sibling subdomain cannot plant or shadow it.
const CookieName = "__Host-intake_session"

// session is a signed-in user, resolved from the cookie on each request.
type session struct {
	User   store.User
	Org    store.Organization
	idHash []byte
}

var errNoSession = errors.New("not signed in")

// can reports whether the session's user has at least role.
func (s *session) can(role string) bool {
	return store.RoleRank(s.User.Role) >= store.RoleRank(role)
}

// currentSession resolves the cookie to a live session; an unknown, idle or
// expired id is no session.
func (h *Handler) currentSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, errNoSession
	}
	idHash := store.HashSecret(c.Value)
	u, org, err := h.o.Store.SessionUser(r.Context(), idHash, h.o.IdleTimeout, h.o.AbsoluteTimeout)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	return &session{User: u, Org: org, idHash: idHash}, nil
}

type sessionHandlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// signedIn runs fn for a user of at least role. Without a session a page
// view goes to sign-in (or to setup on a fresh install); a POST gets 401.
func (h *Handler) signedIn(role string, fn sessionHandlerFunc) http.Handler {
	return h.handle(func(w http.ResponseWriter, r *http.Request) error {
		s, err := h.currentSession(r)
		if errors.Is(err, errNoSession) {
			// The cookie stays: it may hold a session waiting for its
			// second factor, and sign-in replaces it anyway.
			if r.Method != http.MethodGet {
				h.renderError(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again.")
				return nil
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		if err != nil {
			return err
		}
		if !s.can(role) {
			return errForbidden
		}
		return fn(w, r, s)
	})
}

// startSession rotates the session at sign-in: whatever session id the
// browser held is deleted, and a fresh 128-bit id is issued. A pending
// session has passed the password and waits for the second factor.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, userID string, pending bool) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := h.o.Store.DeleteSession(r.Context(), store.HashSecret(c.Value)); err != nil {
			return err
		}
	}
	if _, err := h.o.Store.DeleteExpiredSessions(r.Context(), h.o.IdleTimeout, h.o.AbsoluteTimeout); err != nil {
		return err
	}
	id := store.RandomToken(16)
	if err := h.o.Store.CreateSession(r.Context(), store.HashSecret(id), userID, pending); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.o.AbsoluteTimeout.Seconds())})
	return nil
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// localPath keeps a post-sign-in redirect on this site: a path of Intake's
// own, checked after parsing, or /imports. Browsers drop tabs and line breaks
// from a Location and read a backslash as a slash, so "/\t/host" or "/\\host"
// would leave for //host: any control character, backslash or a second
// leading slash refuses it, and so do a scheme, a host or user info.
func localPath(next string) string {
	const fallback = "/imports"
	if next == "" || next[0] != '/' || strings.ContainsAny(next, "\\") {
		return fallback
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") {
		return fallback
	}
	return next
}
