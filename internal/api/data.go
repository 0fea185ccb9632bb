package api

import (
	"errors"
	"net/http"

	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/store"
)

// importDelete purges one import of the caller's organization: its data key
// is shredded and its chunks deleted; its counts and import log stay, with a
// deletion receipt. Deleting a purged import again answers 200 with zero
// imports shredded.
func (a *API) importDelete(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	res, err := a.purge.PurgeImport(r.Context(), org.ID, r.PathValue("id"))
	return purged(w, res, err)
}

// dataDelete purges every import of the organization ("the button"), or of
// one importer with ?importer=ID: an importer that is not the caller's
// answers 404, as an unknown one does, not a 200 that shredded nothing.
func (a *API) dataDelete(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	var res retention.Result
	var err error
	if importer := r.URL.Query().Get("importer"); importer != "" {
		ours, lookupErr := a.store.ImporterExists(r.Context(), org.ID, importer)
		if lookupErr != nil {
			return lookupErr
		}
		if !ours {
			return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such importer"}
		}
		res, err = a.purge.PurgeImporter(r.Context(), org.ID, importer)
	} else {
		res, err = a.purge.PurgeOrg(r.Context(), org.ID)
	}
	return purged(w, res, err)
}

// purged answers what a purge shredded: 200, or 202 when the keys are
// destroyed but some blobs could not be deleted yet (the retention job
// finishes them; "pending" counts those imports).
func purged(w http.ResponseWriter, res retention.Result, err error) error {
	switch {
	case errors.Is(err, retention.ErrBlobsPending):
		return writeJSON(w, http.StatusAccepted, res)
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
