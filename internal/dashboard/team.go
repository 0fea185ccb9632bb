package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/store"
)

// teamView is the team page: members, pending invites and API keys, plus a
// secret shown once right after it was made.
type teamView struct {
	Members []store.User
	Invites []store.Invite
	Keys    []store.APIKey
	// Locked maps each member locked after failed sign-ins to the lock's
	// end; only owners see it and may unlock.
	Locked map[string]time.Time
	Roles  []string
	// NewInviteURL and NewAPIKey are shown once, on the page that made them.
	NewInviteURL string
	NewAPIKey    string
	InviteEmail  string
	InviteRole   string
	Errors       map[string]string
}

var roles = []string{store.RoleViewer, store.RoleMember, store.RoleAdmin, store.RoleOwner}

func (h *Handler) renderTeam(w http.ResponseWriter, r *http.Request, s *session, status int, d teamView, notice string) error {
	var err error
	if d.Members, err = h.o.Store.Users(r.Context(), s.Org.ID); err != nil {
		return err
	}
	if s.can(store.RoleAdmin) {
		if d.Invites, err = h.o.Store.Invites(r.Context(), s.Org.ID); err != nil {
			return err
		}
		if d.Keys, err = h.o.Store.APIKeys(r.Context(), s.Org.ID); err != nil {
			return err
		}
	}
	if s.can(store.RoleOwner) {
		if d.Locked, err = h.o.Store.LockedUsers(r.Context(), s.Org.ID); err != nil {
			return err
		}
	}
	d.Roles = roles
	if d.InviteRole == "" {
		d.InviteRole = store.RoleMember
	}
	return h.render(w, r, status, "team", view{Title: "Team", Nav: "team", User: &s.User, Org: s.Org, Notice: notice, D: d})
}

func (h *Handler) teamShow(w http.ResponseWriter, r *http.Request, s *session) error {
	notice := map[string]string{"removed": "The member was removed and signed out.", "role": "The role was changed.",
		"revoked": "The API key was revoked; requests with it now fail.", "withdrawn": "The invite was withdrawn.",
		"unlocked": "The member was unlocked and may sign in again."}[r.URL.Query().Get("done")]
	return h.renderTeam(w, r, s, http.StatusOK, teamView{}, notice)
}

// mayGrant: only an owner hands out or takes away the owner role or acts on
// an owner; admins manage everyone else.
func mayGrant(actor store.User, role string) bool {
	return store.RoleRank(role) > 0 && (actor.Role == store.RoleOwner || store.RoleRank(role) < store.RoleRank(store.RoleOwner))
}

// inviteCreate makes a single-use invite link, shown once.
func (h *Handler) inviteCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	d := teamView{InviteEmail: strings.TrimSpace(r.PostFormValue("email")), InviteRole: r.PostFormValue("role"), Errors: map[string]string{}}
	if !validEmail(d.InviteEmail) {
		d.Errors["email"] = "Enter a valid email address."
	}
	if !mayGrant(s.User, d.InviteRole) {
		d.Errors["role"] = "Choose a role you may grant."
	}
	if len(d.Errors) > 0 {
		return h.renderTeam(w, r, s, http.StatusUnprocessableEntity, d, "")
	}
	token := "inv_" + store.RandomToken(32)
	if _, err := h.o.Store.CreateInvite(r.Context(), s.Org.ID, d.InviteEmail, d.InviteRole, store.HashSecret(token), h.o.InviteTTL); err != nil {
		return err
	}
	d.NewInviteURL = h.baseURL(r) + "/invite/" + token
	return h.renderTeam(w, r, s, http.StatusCreated, teamView{NewInviteURL: d.NewInviteURL}, "Invite created. Send this link to "+d.InviteEmail+"; it works once.")
}

func (h *Handler) inviteDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := h.o.Store.DeleteInvite(r.Context(), s.Org.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/team?done=withdrawn", http.StatusSeeOther)
	return nil
}

// member finds a user of the organization that the actor may manage.
func (h *Handler) member(r *http.Request, s *session) (store.User, error) {
	users, err := h.o.Store.Users(r.Context(), s.Org.ID)
	if err != nil {
		return store.User{}, err
	}
	for _, u := range users {
		if u.ID == r.PathValue("id") {
			if u.ID == s.User.ID || !mayGrant(s.User, u.Role) {
				return u, errForbidden
			}
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}

func (h *Handler) memberUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	u, err := h.member(r, s)
	if err != nil {
		return err
	}
	role := r.PostFormValue("role")
	if !mayGrant(s.User, role) {
		return errForbidden
	}
	if err := h.o.Store.SetUserRole(r.Context(), s.Org.ID, u.ID, role); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "role changed", "org_id", s.Org.ID, "user_id", u.ID, "role", role, "by", s.User.ID)
	http.Redirect(w, r, "/team?done=role", http.StatusSeeOther)
	return nil
}

// memberRemove deletes a member and every session of theirs.
func (h *Handler) memberRemove(w http.ResponseWriter, r *http.Request, s *session) error {
	u, err := h.member(r, s)
	if err != nil {
		return err
	}
	if err := h.o.Store.DeleteUser(r.Context(), s.Org.ID, u.ID); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "member removed", "org_id", s.Org.ID, "user_id", u.ID, "by", s.User.ID)
	http.Redirect(w, r, "/team?done=removed", http.StatusSeeOther)
	return nil
}

// memberUnlock lifts the lockout of a member locked after failed sign-ins
// (owners only), and forgets this node's count of their attempts.
func (h *Handler) memberUnlock(w http.ResponseWriter, r *http.Request, s *session) error {
	u, err := h.member(r, s)
	if err != nil {
		return err
	}
	if err := h.o.Store.UnlockUser(r.Context(), s.Org.ID, u.ID); err != nil {
		return err
	}
	h.throttle.clear(accountKey(u.Email))
	h.o.Logger.InfoContext(r.Context(), "member unlocked", "org_id", s.Org.ID, "user_id", u.ID, "by", s.User.ID)
	http.Redirect(w, r, "/team?done=unlocked", http.StatusSeeOther)
	return nil
}

// apiKeyCreate makes an API key and shows it once; only its hash is kept.
func (h *Handler) apiKeyCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	key := "ik_" + store.RandomToken(32)
	if err := h.o.Store.CreateAPIKey(r.Context(), s.Org.ID, key[:10], store.HashSecret(key)); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "api key created", "org_id", s.Org.ID, "prefix", key[:10], "by", s.User.ID)
	return h.renderTeam(w, r, s, http.StatusCreated, teamView{NewAPIKey: key}, "API key created. Copy it now: it is not shown again.")
}

func (h *Handler) apiKeyRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := h.o.Store.RevokeAPIKey(r.Context(), s.Org.ID, r.PathValue("id")); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "api key revoked", "org_id", s.Org.ID, "key_id", r.PathValue("id"), "by", s.User.ID)
	http.Redirect(w, r, "/team?done=revoked", http.StatusSeeOther)
	return nil
}
