package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
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
	acct, client := accountKey(f.Email), clientKey(r)
	wait, n := h.throttle.attempt(acct, client)
	if wait > 0 {
		return h.refuseAttempt(w, r, f, wait)
	}
	u, err := h.o.Store.UserByEmail(r.Context(), f.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	found := err == nil
	// A locked account is refused before argon2 runs. An unknown email past
	// the same count gets the same answer, so the lockout does not tell
	// which emails have an account (on this node).
	if locked, err := h.locked(r, u, found, acct); err != nil {
		return err
	} else if locked {
		return h.refuseLocked(w, r, f)
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = h.dummyHash()
	}
	release, err := h.acquireCheck(r.Context(), n <= cleanAttempts)
	if err != nil {
		if errors.Is(err, errCheckBusy) {
			w.Header().Set("Retry-After", "1")
			f.Error = "Sign-in is busy right now. Try again in a moment."
			return h.render(w, r, http.StatusServiceUnavailable, "login", view{Title: "Sign in", D: f})
		}
		return err
	}
	checkErr := auth.CheckPassword(hash, pw)
	release()
	if !found || checkErr != nil {
		if err := h.failed(r, u, found, acct); err != nil {
			return err
		}
		f.Error = "The email or password is wrong."
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", D: f})
	}
	pending := len(u.TOTPSealed) > 0
	if err := h.startSession(w, r, u.ID, pending); err != nil {
		return err
	}
	if pending {
		// The counts stay until the code is right too: a guessed code
		// costs an attempt like a guessed password.
		http.Redirect(w, r, "/login/code?next="+url.QueryEscape(localPath(f.Next)), http.StatusSeeOther)
		return nil
	}
	h.throttle.clear(acct, client)
	h.o.Logger.InfoContext(r.Context(), "signed in", "org_id", u.OrgID, "user_id", u.ID)
	http.Redirect(w, r, localPath(f.Next), http.StatusSeeOther)
	return nil
}

// locked reports whether sign-in to u (found: the email has an account) is
// refused by a lockout.
func (h *Handler) locked(r *http.Request, u store.User, found bool, acct string) (bool, error) {
	if !found {
		return h.throttle.count(acct) > lockAfter, nil
	}
	until, err := h.o.Store.UserLockedUntil(r.Context(), u.ID)
	return !until.IsZero(), err
}

// failed records a failed password or code; the lockAfter-th failure of an
// account locks it.
func (h *Handler) failed(r *http.Request, u store.User, found bool, acct string) error {
	if !found || h.throttle.count(acct) < lockAfter {
		return nil
	}
	if err := h.o.Store.LockUser(r.Context(), u.ID, time.Now().Add(lockFor)); err != nil {
		return err
	}
	h.o.Logger.WarnContext(r.Context(), "user locked after failed sign-ins", "org_id", u.OrgID, "user_id", u.ID, "attempts", h.throttle.count(acct))
	return nil
}

// refuseAttempt answers an attempt made during its back-off: 429, with
// Retry-After and the wait on the page; no password is checked.
func (h *Handler) refuseAttempt(w http.ResponseWriter, r *http.Request, f loginForm, wait time.Duration) error {
	w.Header().Set("Retry-After", retryAfter(wait))
	f.Error = "Too many sign-in attempts. Wait " + waitText(wait) + " and try again."
	return h.render(w, r, http.StatusTooManyRequests, "login", view{Title: "Sign in", D: f})
}

func (h *Handler) refuseLocked(w http.ResponseWriter, r *http.Request, f loginForm) error {
	w.Header().Set("Retry-After", retryAfter(lockFor))
	f.Error = "This account is locked after too many failed sign-ins. An owner of your organization can unlock it on the Team page; otherwise it unlocks after a day."
	return h.render(w, r, http.StatusTooManyRequests, "login", view{Title: "Sign in", D: f})
}

// waitText says a wait in whole seconds or minutes.
func waitText(d time.Duration) string {
	if s := int((d + time.Second - 1) / time.Second); s < 90 {
		if s <= 1 {
			return "1 second"
		}
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " minutes"
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
	acct, client := accountKey(u.Email), clientKey(r)
	if wait, _ := h.throttle.attempt(acct, client); wait > 0 {
		if err := h.logoutSession(w, r); err != nil {
			return err
		}
		return h.refuseAttempt(w, r, loginForm{Email: u.Email, Next: next}, wait)
	}
	if locked, err := h.locked(r, u, true, acct); err != nil {
		return err
	} else if locked {
		if err := h.logoutSession(w, r); err != nil {
			return err
		}
		return h.refuseLocked(w, r, loginForm{Email: u.Email, Next: next})
	}
	ok, err := h.userCode(r.Context(), u, r.PostFormValue("code"))
	if err != nil {
		return err
	}
	if !ok {
		if err := h.failed(r, u, true, acct); err != nil {
			return err
		}
		if err := h.logoutSession(w, r); err != nil {
			return err
		}
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in",
			D: loginForm{Email: u.Email, Next: next, Error: "That code is wrong or was used already. Sign in again."}})
	}
	if err := h.startSession(w, r, u.ID, false); err != nil {
		return err
	}
	h.throttle.clear(acct, client)
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
