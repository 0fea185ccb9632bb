package dashboard

import "net/http"

func (h *Handler) importerList(w http.ResponseWriter, r *http.Request, s *session) error {
	ims, err := h.o.Store.Importers(r.Context(), s.Org.ID)
	if err != nil {
		return err
	}
	v := view{Title: "Importers", Nav: "importers", User: &s.User, Org: s.Org, D: ims}
	if r.URL.Query().Get("deleted") != "" {
		v.Notice = "The importer was deleted; its key no longer opens the widget."
	}
	return h.render(w, r, http.StatusOK, "importers", v)
}

// importerDelete retires an importer: its key stops working at once, its
// imports stay until they are purged.
func (h *Handler) importerDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := h.o.Store.DeleteImporter(r.Context(), s.Org.ID, r.PathValue("id")); err != nil {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "importer deleted", "org_id", s.Org.ID, "importer_id", r.PathValue("id"), "user_id", s.User.ID)
	http.Redirect(w, r, "/importers?deleted=1", http.StatusSeeOther)
	return nil
}
