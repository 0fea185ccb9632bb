package dashboard

import (
	"net/http"
	"time"
)

// accountView is the user's own page: who they are and their second factor.
type accountView struct {
	TOTPOn bool
	// Secret and URI are shown while the second factor is being turned on.
	Secret, URI string
	Error       string
}

func (h *Handler) accountShow(w http.ResponseWriter, r *http.Request, s *session) error {
	notice := map[string]string{"on": "Two-step sign-in is on: each sign-in now asks for a code from your app.",
		"off": "Two-step sign-in is off."}[r.URL.Query().Get("totp")]
	return h.render(w, r, http.StatusOK, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
		Notice: notice, D: accountView{TOTPOn: s.User.TOTPSecret != ""}})
}

// totpStart shows a new secret to add to an authenticator app; it is saved
// only once a code from the app proves the app has it.
func (h *Handler) totpStart(w http.ResponseWriter, r *http.Request, s *session) error {
	secret := newTOTPSecret()
	return h.render(w, r, http.StatusOK, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
		D: accountView{Secret: secret, URI: totpURI("Intake "+s.Org.Name, s.User.Email, secret)}})
}

func (h *Handler) totpEnable(w http.ResponseWriter, r *http.Request, s *session) error {
	secret := r.PostFormValue("secret")
	step, ok := checkTOTP(secret, r.PostFormValue("code"), time.Now())
	if !ok || len(secret) != 32 {
		return h.render(w, r, http.StatusUnprocessableEntity, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
			D: accountView{Secret: secret, URI: totpURI("Intake "+s.Org.Name, s.User.Email, secret), Error: "That code does not match; check the app's clock and try the next code."}})
	}
	if err := h.o.Store.SetTOTPSecret(r.Context(), s.Org.ID, s.User.ID, secret); err != nil {
		return err
	}
	if _, err := h.o.Store.UseTOTPStep(r.Context(), s.User.ID, step); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "second factor on", "org_id", s.Org.ID, "user_id", s.User.ID)
	http.Redirect(w, r, "/account?totp=on", http.StatusSeeOther)
	return nil
}

// totpDisable turns the second factor off, given a current code.
func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request, s *session) error {
	step, ok := checkTOTP(s.User.TOTPSecret, r.PostFormValue("code"), time.Now())
	if ok {
		var err error
		if ok, err = h.o.Store.UseTOTPStep(r.Context(), s.User.ID, step); err != nil {
			return err
		}
	}
	if !ok {
		return h.render(w, r, http.StatusUnprocessableEntity, "account", view{Title: "Your account", Nav: "account", User: &s.User, Org: s.Org,
			D: accountView{TOTPOn: true, Error: "That code is wrong or was used already."}})
	}
	if err := h.o.Store.SetTOTPSecret(r.Context(), s.Org.ID, s.User.ID, ""); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "second factor off", "org_id", s.Org.ID, "user_id", s.User.ID)
	http.Redirect(w, r, "/account?totp=off", http.StatusSeeOther)
	return nil
}
