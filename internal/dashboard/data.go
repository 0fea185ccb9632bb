package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/store"
)

// receiptsShown bounds the receipts listed on the data page (newest first);
// `intake audit verify` and the API reach all of them.
const receiptsShown = 500

// dataView is the data-controls page: the organization's deletion receipts,
// the verdict on their hash chain, and the delete-everything form.
type dataView struct {
	Receipts  []receiptRow
	Total     int
	Audit     retention.Audit
	CanDelete bool
	Error     string
}

type receiptRow struct {
	ImportID string
	importlog.Purged
}

func (h *Handler) dataShow(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.renderData(w, r, s, http.StatusOK, "", h.dataNotice(r))
}

func (h *Handler) dataNotice(r *http.Request) string {
	if n := r.URL.Query().Get("purged"); n != "" {
		return fmt.Sprintf("All stored rows of the organization were deleted (%s imports shredded now); each has a receipt below.", n)
	}
	return ""
}

func (h *Handler) renderData(w http.ResponseWriter, r *http.Request, s *session, status int, formErr, notice string) error {
	receipts, err := h.o.Store.Receipts(r.Context(), s.Org.ID)
	if err != nil {
		return err
	}
	d := dataView{Total: len(receipts), Error: formErr, CanDelete: h.o.Retention != nil && s.can(store.RoleAdmin)}
	if d.Audit, err = retention.Verify(r.Context(), h.o.Store, s.Org.ID); err != nil {
		return err
	}
	for _, rc := range slices.Backward(receipts) {
		if len(d.Receipts) == receiptsShown {
			break
		}
		row := receiptRow{ImportID: rc.ImportID}
		if err := json.Unmarshal(rc.Data, &row.Purged); err != nil {
			return fmt.Errorf("receipt %d: %w", rc.Seq, err)
		}
		d.Receipts = append(d.Receipts, row)
	}
	return h.render(w, r, status, "data", view{Title: "Data", Nav: "data", User: &s.User, Org: s.Org, Notice: notice, D: d})
}

// dataDelete purges every import of the organization, after the user typed
// the organization's name.
func (h *Handler) dataDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if h.o.Retention == nil {
		return errForbidden
	}
	if r.PostFormValue("confirm") != s.Org.Name {
		return h.renderData(w, r, s, http.StatusUnprocessableEntity, "Type the organization's name exactly. Nothing was deleted.", "")
	}
	res, err := h.o.Retention.PurgeOrg(r.Context(), s.Org.ID)
	if err != nil && !errors.Is(err, retention.ErrBlobsPending) {
		return err
	}
	h.o.Logger.InfoContext(r.Context(), "organization data purged from the dashboard", "org_id", s.Org.ID, "user_id", s.User.ID,
		"imports", res.Imports, "chunks", res.Chunks, "bytes", res.Bytes)
	http.Redirect(w, r, fmt.Sprintf("/data?purged=%d", res.Imports), http.StatusSeeOther)
	return nil
}
