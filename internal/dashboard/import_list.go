package dashboard

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/store"
)

const importsPerPage = 50

// importRow is one line of the imports list.
type importRow struct {
	store.Import
	ImporterName string
	// Deliveries holds the state of each delivery, one per destination.
	Deliveries []string
}

// importListView is the imports page: filters, a page of imports, and the
// link to the next page.
type importListView struct {
	Importers  []store.Importer
	Importer   string
	Status     string
	Statuses   []string
	Until      string
	UntilError string
	Imports    []importRow
	NextURL    string
}

func (h *Handler) importList(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	f := store.ImportFilter{ImporterID: q.Get("importer"), Status: q.Get("status"), Limit: importsPerPage}
	until := q.Get("until")
	untilErr := ""
	if until != "" {
		// Imports started on or before that day (UTC): strictly before the
		// next midnight. Every id sorts after "imt_", so the cursor
		// (created_at, id) < (midnight, "imt_") means exactly that.
		day, err := time.Parse(time.DateOnly, until)
		if err != nil {
			untilErr = "Enter a date as YYYY-MM-DD."
		} else {
			f.BeforeCreated, f.BeforeID = day.AddDate(0, 0, 1).UnixMicro(), "imt_"
		}
	}
	if c := q.Get("before"); c != "" {
		if at, id, ok := parseCursor(c); ok {
			f.BeforeCreated, f.BeforeID = at, id
		}
	}
	ims, err := h.o.Store.Importers(r.Context(), s.Org.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, im := range ims {
		names[im.ID] = im.Name
	}
	list, err := h.o.Store.Imports(r.Context(), s.Org.ID, f)
	if err != nil {
		return err
	}
	d := importListView{Importers: ims, Importer: f.ImporterID, Status: f.Status, Until: until, UntilError: untilErr,
		Statuses: []string{store.StatusUploading, store.StatusCompleted, store.StatusFailed, store.StatusPurged}}
	for _, im := range list {
		row := importRow{Import: im, ImporterName: cmpName(names[im.ImporterID])}
		if h.o.Delivery != nil {
			ds, err := h.o.Store.Deliveries(r.Context(), s.Org.ID, im.ID)
			if err != nil {
				return err
			}
			for _, dv := range ds {
				row.Deliveries = append(row.Deliveries, dv.State)
			}
		}
		d.Imports = append(d.Imports, row)
	}
	if len(list) == importsPerPage {
		last := list[len(list)-1]
		next := url.Values{"importer": {f.ImporterID}, "status": {f.Status}, "until": {until},
			"before": {base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", last.CreatedAt.UnixMicro(), last.ID))}}
		d.NextURL = "/imports?" + next.Encode()
	}
	return h.render(w, r, http.StatusOK, "imports", view{Title: "Imports", Nav: "imports", User: &s.User, Org: s.Org, D: d})
}

func cmpName(n string) string {
	if n == "" {
		return "(deleted importer)"
	}
	return n
}

func parseCursor(c string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", false
	}
	at, id, ok := strings.Cut(string(b), ".")
	v, err := strconv.ParseInt(at, 10, 64)
	return v, id, ok && err == nil && id != ""
}
