package dashboard

import (
	"errors"
	"net/http"

	"github.com/intakehq/intake/internal/store"
)

const inviteGone = "This invite link was used already, has expired or was withdrawn. Ask for a new one."

func (h *Handler) inviteShow(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.o.Store.InviteByToken(r.Context(), store.HashSecret(r.PathValue("token")))
	if errors.Is(err, store.ErrNotFound) {
		return h.render(w, r, http.StatusNotFound, "error", view{Title: "Invite", D: inviteGone})
	}
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "invite", view{Title: "Join your team", D: accountForm{Email: inv.Email}})
}

// inviteAccept creates the invited user with the chosen password and signs
// them in; the link stops working in the same transaction.
func (h *Handler) inviteAccept(w http.ResponseWriter, r *http.Request) error {
	tokenHash := store.HashSecret(r.PathValue("token"))
	inv, err := h.o.Store.InviteByToken(r.Context(), tokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return h.render(w, r, http.StatusNotFound, "error", view{Title: "Invite", D: inviteGone})
	}
	if err != nil {
		return err
	}
	f := accountForm{Email: inv.Email, Errors: map[string]string{}}
	hash := h.checkNewPassword(&f, r)
	if len(f.Errors) > 0 {
		return h.render(w, r, http.StatusUnprocessableEntity, "invite", view{Title: "Join your team", D: f})
	}
	u, err := h.o.Store.AcceptInvite(r.Context(), tokenHash, hash)
	if errors.Is(err, store.ErrNotFound) {
		return h.render(w, r, http.StatusNotFound, "error", view{Title: "Invite", D: inviteGone})
	}
	if errors.Is(err, store.ErrConflict) {
		f.Errors["email"] = "An account with this email exists already; sign in with it."
		return h.render(w, r, http.StatusConflict, "invite", view{Title: "Join your team", D: f})
	}
	if err != nil {
		return err
	}
	if err := h.startSession(w, r, u.ID, false); err != nil {
		return err
	}
	http.Redirect(w, r, "/imports", http.StatusSeeOther)
	return nil
}
