package dashboard

import (
	"cmp"
	"net/http"

	"github.com/intakehq/intake/internal/rows"
)

// importDownload streams an import's rows as CSV, XLSX or JSON Lines, or an
// end-to-end encrypted import's .age bundle (docs/e2e.md). The route
// requires the member role: viewers may look but not take data away.
func (h *Handler) importDownload(w http.ResponseWriter, r *http.Request, s *session) error {
	ex, err := h.o.Rows.OpenExport(r.Context(), s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if ex.Encrypted() {
		h.o.Logger.InfoContext(r.Context(), "import downloaded", "org_id", s.Org.ID, "import_id", r.PathValue("id"),
			"user_id", s.User.ID, "format", "age", "rows", ex.Rows)
		rows.ServeBundle(w, r, h.o.Logger, ex)
		return nil
	}
	f, err := rows.ParseFormat(cmp.Or(r.URL.Query().Get("format"), string(rows.CSV)))
	if err != nil {
		h.renderError(w, r, http.StatusBadRequest, "Choose CSV, XLSX or JSON Lines.")
		return nil //nolint:nilerr // answered: a page that says what to choose
	}
	h.o.Logger.InfoContext(r.Context(), "import downloaded", "org_id", s.Org.ID, "import_id", r.PathValue("id"),
		"user_id", s.User.ID, "format", string(f), "rows", ex.Rows)
	rows.Serve(w, r, h.o.Logger, f, r.PathValue("id"), ex.Columns, ex)
	return nil
}
