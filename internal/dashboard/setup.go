package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/store"
)

// SetupTokenTTL is how long the token printed by `intake serve` works.
const SetupTokenTTL = 24 * time.Hour

// IssueSetupToken returns a fresh one-time setup token when no user exists
// yet (ok is false otherwise). `intake serve` prints it at start; only its
// hash is stored, and each call replaces the previous token.
func IssueSetupToken(ctx context.Context, st *store.Store) (token string, ok bool, err error) {
	has, err := st.HasUsers(ctx)
	if err != nil || has {
		return "", false, err
	}
	token = "setup_" + store.RandomToken(16)
	if err := st.SetSetupToken(ctx, store.HashSecret(token), time.Now().Add(SetupTokenTTL)); err != nil {
		return "", false, err
	}
	return token, true, nil
}

// setupLinkView is the page that sends whoever opens the dashboard to the
// setup link `intake serve` printed, or, once someone set Intake up, to
// sign-in. It links to no page that would bring the reader back to it.
type setupLinkView struct {
	// BadLink: a setup link was opened that does not work (any more).
	BadLink bool
	// HasUsers: setup is done; sign-in is the way in.
	HasUsers bool
}

func (h *Handler) renderSetupLink(w http.ResponseWriter, r *http.Request, status int, badLink bool) error {
	has, err := h.o.Store.HasUsers(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, status, "setup_link", view{Title: "Set up Intake", D: setupLinkView{BadLink: badLink, HasUsers: has}})
}

// accountForm is the form of setup and invite acceptance.
type accountForm struct {
	Token, OrgName, Email string
	Errors                map[string]string
}

func (h *Handler) setupShow(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	ok, err := h.o.Store.SetupTokenValid(r.Context(), store.HashSecret(token))
	if err != nil {
		return err
	}
	if !ok {
		return h.renderSetupLink(w, r, http.StatusNotFound, true)
	}
	return h.render(w, r, http.StatusOK, "setup", view{Title: "Set up Intake", D: accountForm{Token: token}})
}

func (h *Handler) setupSubmit(w http.ResponseWriter, r *http.Request) error {
	f := accountForm{Token: r.PostFormValue("token"), OrgName: strings.TrimSpace(r.PostFormValue("org")),
		Email: strings.TrimSpace(r.PostFormValue("email")), Errors: map[string]string{}}
	if f.OrgName == "" || len(f.OrgName) > 200 {
		f.Errors["org"] = "Enter your organization's name (up to 200 characters)."
	}
	hash := h.checkNewPassword(&f, r)
	if len(f.Errors) > 0 {
		return h.render(w, r, http.StatusUnprocessableEntity, "setup", view{Title: "Set up Intake", D: f})
	}
	u, err := h.o.Store.CompleteSetup(r.Context(), store.HashSecret(f.Token), f.OrgName, f.Email, hash)
	if errors.Is(err, store.ErrSetupClosed) {
		return h.renderSetupLink(w, r, http.StatusNotFound, true)
	}
	if err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "first-run setup done", "org_id", u.OrgID, "user_id", u.ID)
	if err := h.startSession(w, r, u.ID, false); err != nil {
		return err
	}
	http.Redirect(w, r, "/importers", http.StatusSeeOther)
	return nil
}

// checkNewPassword validates email, password and confirmation into f's
// errors and returns the argon2id hash when they are good.
func (h *Handler) checkNewPassword(f *accountForm, r *http.Request) string {
	if !validEmail(f.Email) {
		f.Errors["email"] = "Enter a valid email address."
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		f.Errors["password2"] = "The two passwords differ."
	}
	if len(pw) < 10 {
		f.Errors["password"] = "Use at least 10 characters."
		return ""
	}
	if len(f.Errors) > 0 {
		return ""
	}
	h.checks <- struct{}{}
	defer func() { <-h.checks }()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		f.Errors["password"] = err.Error()
	}
	return hash
}

// validEmail is a shape check (something@something, no spaces); the address
// is only a sign-in name, never mailed to by Intake.
func validEmail(e string) bool {
	at := strings.IndexByte(e, '@')
	return at > 0 && at < len(e)-1 && len(e) <= 254 && !strings.ContainsAny(e, " \t\r\n<>")
}
