package dashboard

import (
	"errors"
	"net/http"
	"time"

	"github.com/intakehq/intake/internal/auth"
)

// accountView is the user's own page: who they are and their second factor.
type accountView struct {
	TOTPOn bool
	// Secret and URI are shown while the second factor is being turned on
	// (or moved to another app, when TOTPOn is set too).
	Secret, URI string
	Error       string
}

func (h *Handler) accountShow(w http.ResponseWriter, r *http.Request, s *session) error {
	notice := map[string]string{"on": "Two-step sign-in is on: each sign-in now asks for a code from your app. Your other sessions were signed out.",
		"off": "Two-step sign-in is off. Your other sessions were signed out."}[r.URL.Query().Get("totp")]
	return h.render(w, r, http.StatusOK, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
		Notice: notice, D: accountView{TOTPOn: len(s.User.TOTPSealed) > 0}})
}

// totpStart shows a new secret to add to an authenticator app; it is saved
// only once a code from the app proves the app has it, and the proof that
// the person is the user (see reauthenticate) is given.
func (h *Handler) totpStart(w http.ResponseWriter, r *http.Request, s *session) error {
	secret := newTOTPSecret()
	return h.render(w, r, http.StatusOK, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
		D: accountView{TOTPOn: len(s.User.TOTPSealed) > 0, Secret: secret, URI: totpURI("Intake "+s.Org.Name, s.User.Email, secret)}})
}

// totpEnable saves a new second factor: turning it on needs the password,
// moving it to a new app needs a code of the current one, so a session
// taken over (a cookie copied off a shared computer) can neither lock the
// user out with a factor of its own nor swap theirs. The user's other
// sessions end.
func (h *Handler) totpEnable(w http.ResponseWriter, r *http.Request, s *session) error {
	secret := r.PostFormValue("secret")
	on := len(s.User.TOTPSealed) > 0
	again := func(status int, msg string) error {
		return h.render(w, r, status, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
			D: accountView{TOTPOn: on, Secret: secret, URI: totpURI("Intake "+s.Org.Name, s.User.Email, secret), Error: msg}})
	}
	if len(secret) != 32 {
		return again(http.StatusUnprocessableEntity, "Start again: the key is missing.")
	}
	if ok, err := h.reauthenticate(r, s, "current_code"); err != nil || !ok {
		if errors.Is(err, errReauth) {
			return again(http.StatusUnprocessableEntity, reauthMessage(on))
		}
		var busy reauthBusy
		if errors.As(err, &busy) {
			w.Header().Set("Retry-After", retryAfter(busy.wait))
			return again(http.StatusTooManyRequests, "Too many attempts. Wait "+waitText(busy.wait)+" and try again.")
		}
		return err
	}
	step, ok := checkTOTP(secret, r.PostFormValue("code"), time.Now())
	if !ok {
		return again(http.StatusUnprocessableEntity, "That code does not match; check the app's clock and try the next code.")
	}
	sealed, err := sealTOTP(r.Context(), h.o.Vault, s.User.ID, secret)
	if err != nil {
		return err
	}
	if err := h.o.Store.SetTOTPSealed(r.Context(), s.Org.ID, s.User.ID, sealed, step, s.idHash); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "second factor on", "org_id", s.Org.ID, "user_id", s.User.ID, "replaced", on)
	http.Redirect(w, r, "/account?totp=on", http.StatusSeeOther)
	return nil
}

// totpDisable turns the second factor off, given a current code; the
// user's other sessions end.
func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request, s *session) error {
	if len(s.User.TOTPSealed) == 0 {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	ok, err := h.reauthenticate(r, s, "code")
	var busy reauthBusy
	switch {
	case errors.As(err, &busy):
		w.Header().Set("Retry-After", retryAfter(busy.wait))
		return h.render(w, r, http.StatusTooManyRequests, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
			D: accountView{TOTPOn: true, Error: "Too many attempts. Wait " + waitText(busy.wait) + " and try again."}})
	case errors.Is(err, errReauth) || (err == nil && !ok):
		return h.render(w, r, http.StatusUnprocessableEntity, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
			D: accountView{TOTPOn: true, Error: "That code is wrong or was used already."}})
	case err != nil:
		return err
	}
	if err := h.o.Store.SetTOTPSealed(r.Context(), s.Org.ID, s.User.ID, nil, 0, s.idHash); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "second factor off", "org_id", s.Org.ID, "user_id", s.User.ID)
	http.Redirect(w, r, "/account?totp=off", http.StatusSeeOther)
	return nil
}

// errReauth is a wrong password or code given to confirm a change.
var errReauth = errors.New("wrong password or code")

// reauthBusy is a confirmation refused during the account's or client's
// sign-in back-off.
type reauthBusy struct{ wait time.Duration }

func (reauthBusy) Error() string { return "too many attempts" }

func reauthMessage(on bool) string {
	if on {
		return "The current code is wrong or was used already: enter a code from the app you use now."
	}
	return "Your password is wrong."
}

// reauthenticate checks the proof a second-factor change needs: a code of
// the current factor when one is on, else the password
// ("password"); codeField names the form field of the code. Attempts count against the account and client like
// sign-ins, so the form is no faster an oracle than /login.
func (h *Handler) reauthenticate(r *http.Request, s *session, codeField string) (bool, error) {
	acct, client := accountKey(s.User.Email), clientKey(r)
	wait, n := h.throttle.attempt(acct, client)
	if wait > 0 {
		return false, reauthBusy{wait}
	}
	var ok bool
	if len(s.User.TOTPSealed) > 0 {
		var err error
		if ok, err = h.userCode(r.Context(), s.User, r.PostFormValue(codeField)); err != nil {
			return false, err
		}
	} else {
		pw := r.PostFormValue("password")
		if pw != "" && len(pw) <= 1024 {
			release, err := h.acquireCheck(r.Context(), n <= cleanAttempts)
			if err != nil {
				if errors.Is(err, errCheckBusy) {
					return false, reauthBusy{time.Second}
				}
				return false, err
			}
			ok = auth.CheckPassword(s.User.PasswordHash, pw) == nil
			release()
		}
	}
	if !ok {
		if err := h.failed(r, s.User, true, acct); err != nil {
			return false, err
		}
		return false, errReauth
	}
	h.throttle.clear(acct, client)
	return true, nil
}
