package dashboard

import (
	"errors"
	"net/http"
	"strings"

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
		return h.render(w, r, http.StatusOK, "error", view{Title: "Set up Intake",
			D: "No one has set up this Intake yet. Open the setup link that `intake serve` printed when it started."})
	}
	if _, err := h.currentSession(r); err == nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
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
		hash = h.dummyHash
	}
	h.checks <- struct{}{}
	checkErr := auth.CheckPassword(hash, pw)
	<-h.checks
	if err != nil || checkErr != nil {
		f.Error = "The email or password is wrong."
		return h.render(w, r, http.StatusUnauthorized, "login", view{Title: "Sign in", D: f})
	}
	if err := h.startSession(w, r, u.ID); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "signed in", "org_id", u.OrgID, "user_id", u.ID)
	http.Redirect(w, r, localPath(f.Next), http.StatusSeeOther)
	return nil
}

// logout deletes the session server-side, so the cookie's id is dead even
// if a copy of it survives somewhere.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := h.o.Store.DeleteSession(r.Context(), store.HashSecret(c.Value)); err != nil {
			return err
		}
	}
	clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
