package api

import (
	"errors"
	"net/http"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/store"
)

// Option adjusts the API at construction.
type Option func(*API)

// WithDelivery serves destinations, the delivery log and replays through d.
func WithDelivery(d *delivery.Service) Option { return func(a *API) { a.delivery = d } }

// deliveryError maps the delivery service's refusals to API errors; others
// go to translate.
func deliveryError(err error) error {
	var ie *delivery.InvalidError
	switch {
	case errors.As(err, &ie):
		return badRequest("bad_destination", "%s", ie.Message)
	case errors.Is(err, delivery.ErrNotCompleted):
		return &Error{Status: http.StatusConflict, Code: "import_not_completed", Message: "only a completed import can be delivered again"}
	}
	return err
}

func (a *API) destinationCreate(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	var in delivery.Input
	if err := decode(w, r, maxManagementBody, &in); err != nil {
		return err
	}
	d, err := a.delivery.CreateDestination(r.Context(), org.ID, r.PathValue("id"), in)
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (a *API) destinationList(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	ds, err := a.delivery.Destinations(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"destinations": ds})
}

func (a *API) destinationGet(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	d, err := a.delivery.Destination(r.Context(), org.ID, r.PathValue("id"), r.PathValue("dest"))
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) destinationUpdate(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	var in delivery.Input
	if err := decode(w, r, maxManagementBody, &in); err != nil {
		return err
	}
	d, err := a.delivery.UpdateDestination(r.Context(), org.ID, r.PathValue("id"), r.PathValue("dest"), in)
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusOK, d)
}

func (a *API) destinationDelete(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if err := a.delivery.DeleteDestination(r.Context(), org.ID, r.PathValue("id"), r.PathValue("dest")); err != nil {
		return deliveryError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) destinationTest(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	at, err := a.delivery.TestDestination(r.Context(), org.ID, r.PathValue("id"), r.PathValue("dest"))
	if err != nil {
		return deliveryError(err)
	}
	return writeJSON(w, http.StatusOK, at)
}
