package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/intakehq/intake/internal/store"
)

type orgHandlerFunc func(w http.ResponseWriter, r *http.Request, org store.Organization) error

// withOrg authenticates an API key and passes its organization on; every
// store call of a management handler is scoped by it.
func (a *API) withOrg(h orgHandlerFunc) http.Handler {
	return a.handle(func(w http.ResponseWriter, r *http.Request) error {
		key := bearer(r)
		if !strings.HasPrefix(key, "ik_") {
			return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "send an API key as Authorization: Bearer ik_…"}
		}
		org, err := a.store.OrgByAPIKeyHash(r.Context(), store.HashSecret(key))
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "the API key is unknown or revoked"}
		}
		if err != nil {
			return err
		}
		return h(w, r, org)
	})
}
