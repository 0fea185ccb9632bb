package api

import (
	"cmp"
	"net/http"

	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// importDownload streams every row of an import as CSV, XLSX or JSON Lines
// (?format=, csv by default), decrypting one chunk at a time. An end-to-end
// encrypted import downloads as its .age bundle (?format=age or none): the
// server cannot write rows it cannot read.
func (a *API) importDownload(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	asked := r.URL.Query().Get("format")
	ex, err := a.rows.OpenExport(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ex.Encrypted() {
		if asked != "" && asked != "age" {
			return badRequest("bad_parameter", "an end-to-end encrypted import downloads only as format=age (decrypt it with intake decrypt)")
		}
		rows.ServeBundle(w, r, a.log, ex)
		return nil
	}
	f, err := rows.ParseFormat(cmp.Or(asked, string(rows.CSV)))
	if err != nil {
		return badRequest("bad_parameter", "%s", err.Error())
	}
	rows.Serve(w, r, a.log, f, r.PathValue("id"), ex.Columns, ex)
	return nil
}
