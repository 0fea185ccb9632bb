package dashboard

import (
	"errors"
	"net/http"

	"github.com/intakehq/intake/internal/retention"
)

// importDelete purges one import now: the data key is shredded and a
// deletion receipt is chained in one transaction, then the blobs go. The
// form asks the user to type the import id, checked here as well.
func (h *Handler) importDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if h.o.Retention == nil {
		return errForbidden
	}
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != id {
		h.renderError(w, r, http.StatusUnprocessableEntity, "Type the import id exactly to confirm the deletion. Nothing was deleted.")
		return nil
	}
	res, err := h.o.Retention.PurgeImport(r.Context(), s.Org.ID, id)
	if err != nil && !errors.Is(err, retention.ErrBlobsPending) {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "import purged from the dashboard", "org_id", s.Org.ID, "import_id", id,
		"user_id", s.User.ID, "imports", res.Imports)
	http.Redirect(w, r, "/imports/"+id+"?deleted=1", http.StatusSeeOther) //nolint:gosec // a path segment ({id} holds no slash) under /imports
	return nil
}
