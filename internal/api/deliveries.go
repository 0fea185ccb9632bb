package api

import (
	"net/http"

	"github.com/intakehq/intake/internal/store"
)

func (a *API) deliveryList(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	ds, err := a.delivery.Deliveries(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (a *API) deliveryReplay(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	d, err := a.delivery.Replay(r.Context(), org.ID, r.PathValue("id"), r.PathValue("dest"))
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusAccepted, d)
}
