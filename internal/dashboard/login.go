package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/store"
)

// loginForm is the sign-in form.
type loginForm struct {
	Email, Next, Error string
}

func (h *Handler) loginShow(w http.ResponseWriter, r *http.Request) error {
	has, err := h.o.Store.HasUsers(r.Context())
	if err != nil {
		return err
	}
	if !has {
		return h.render(w, r, http.StatusOK, "setup_link", view{Title: "Set up Intake", D: setupLinkView{}})
	}
	if _, err := h.currentSession(r); err == nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther) //nolint:gosec // localPath keeps only Intake's own paths
		return nil
	}
	return h.render(w, r, http.StatusOK, "login", view{Title: "Sign in", D: loginForm{Next: r.URL.Query().Get("next")}})
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	f := loginForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: r.PostFormValue("next")}
	pw := r.PostFormValue("password")
	if len(pw) > 1024 {
		f.Error = "The email or password is wrong."
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", D: f})
	}
	u, err := h.o.Store.UserByEmail(r.Context(), f.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = h.dummyHash()
	}
	h.checks <- struct{}{}
	checkErr := auth.CheckPassword(hash, pw)
	<-h.checks
	if err != nil || checkErr != nil {
		f.Error = "The email or password is wrong."
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", D: f})
	}
	pending := u.TOTPSecret != ""
	if err := h.startSession(w, r, u.ID, pending); err != nil {
		return err
	}
	if pending {
		http.Redirect(w, r, "/login/code?next="+url.QueryEscape(localPath(f.Next)), http.StatusSeeOther)
		return nil
	}
	h.o.Logger.InfoContext(r.Context(), "signed in", "org_id", u.OrgID, "user_id", u.ID)
	http.Redirect(w, r, localPath(f.Next), http.StatusSeeOther)
	return nil
}

// pendingTimeout is how long the code step may take after the password.
const pendingTimeout = 5 * time.Minute

// pendingUser is the user whose password passed and whose code is due.
func (h *Handler) pendingUser(r *http.Request) (store.User, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return store.User{}, store.ErrNotFound
	}
	return h.o.Store.PendingSessionUser(r.Context(), store.HashSecret(c.Value), pendingTimeout)
}

func (h *Handler) loginCodeShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.pendingUser(r); err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil //nolint:nilerr // no pending sign-in: start again
	}
	return h.render(w, r, http.StatusOK, "login_code", view{Title: "Sign in", D: loginForm{Next: r.URL.Query().Get("next")}})
}

// loginCodeSubmit checks the second factor. A wrong code ends the pending
// session, so every further guess costs a password check again.
func (h *Handler) loginCodeSubmit(w http.ResponseWriter, r *http.Request) error {
	u, err := h.pendingUser(r)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	next := r.PostFormValue("next")
	step, ok := checkTOTP(u.TOTPSecret, r.PostFormValue("code"), time.Now())
	if ok {
		if ok, err = h.o.Store.UseTOTPStep(r.Context(), u.ID, step); err != nil {
			return err
		}
	}
	if !ok {
		if err := h.logoutSession(w, r); err != nil {
			return err
		}
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in",
			D: loginForm{Email: u.Email, Next: next, Error: "That code is wrong or was used already. Sign in again."}})
	}
	if err := h.startSession(w, r, u.ID, false); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "signed in", "org_id", u.OrgID, "user_id", u.ID, "second_factor", true)
	http.Redirect(w, r, localPath(next), http.StatusSeeOther) //nolint:gosec // localPath keeps only Intake's own paths
	return nil
}

// logout deletes the session server-side, so the cookie's id is dead even
// if a copy of it survives somewhere.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.logoutSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// logoutSession deletes the browser's session, if any, and its cookie.
func (h *Handler) logoutSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := h.o.Store.DeleteSession(r.Context(), store.HashSecret(c.Value)); err != nil {
			return err
		}
	}
	clearCookie(w)
	return nil
}
