package api

import (
	"cmp"
	"net/http"

	"github.com/intakehq/intake/internal/export"
	"github.com/intakehq/intake/internal/store"
)

// importDownload streams every row of an import as CSV, XLSX or JSON Lines
// (?format=, csv by default), decrypting one chunk at a time.
func (a *API) importDownload(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	f, err := export.ParseFormat(cmp.Or(r.URL.Query().Get("format"), string(export.CSV)))
	if err != nil {
		return badRequest("bad_parameter", "%s", err.Error())
	}
	ex, err := a.ingest.OpenExport(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	export.Serve(w, r, a.log, f, r.PathValue("id"), ex.Columns, ex)
	return nil
}
