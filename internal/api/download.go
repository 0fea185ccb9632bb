package api

import (
	"cmp"
	"net/http"

	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// importDownload streams every row of an import as CSV, XLSX or JSON Lines
// (?format=, csv by default), decrypting one chunk at a time.
func (a *API) importDownload(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	f, err := rows.ParseFormat(cmp.Or(r.URL.Query().Get("format"), string(rows.CSV)))
	if err != nil {
		return badRequest("bad_parameter", "%s", err.Error())
	}
	ex, err := a.rows.OpenExport(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	rows.Serve(w, r, a.log, f, r.PathValue("id"), ex.Columns, ex)
	return nil
}
