package dashboard

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// gridPageRows is how many rows the data grid shows at once; only the
// chunks that hold them are decrypted.
const gridPageRows = 100

// importView is the import detail page.
type importView struct {
	Import       store.Import
	ImporterName string
	// Readable is false once the rows are purged or were never stored.
	Readable bool
	// Encrypted: an end-to-end encrypted import whose ciphertext is still
	// stored; the page shows counts, a notice and the .age download.
	Encrypted bool
	Page      rows.Page
	// Headers are the grid's column headers: each column's label in the
	// importer's template, its key where the template has none (or the
	// column is no longer in it).
	Headers      []gridHeader
	Cells        [][]gridCell
	ColumnErrors []columnErrors
	PrevURL      string
	NextURL      string
	FirstRow     int64
	LastRow      int64
	Log          []store.LogEntry
	LogMore      bool // the log has more events than the page shows
	CanDelete    bool
	// Deliveries are the import's deliveries, one per destination, with
	// their attempts; Delivering is false without the delivery engine.
	Deliveries []delivery.Delivery
	Delivering bool
}

// gridHeader is a column of the grid: the label people read, the key the
// API and downloads use.
type gridHeader struct {
	Key, Label string
}

// gridHeaders names the page's columns by the labels of the importer's
// template (raw: its JSON, nil for a deleted importer).
func gridHeaders(columns []string, raw []byte) []gridHeader {
	labels := map[string]string{}
	if tpl, err := template.Parse(raw); err == nil {
		for _, c := range tpl.Columns {
			labels[c.Key] = c.Label
		}
	}
	out := make([]gridHeader, len(columns))
	for i, key := range columns {
		out[i] = gridHeader{Key: key, Label: cmp.Or(labels[key], key)}
	}
	return out
}

// gridCell is one cell of the grid: its value (nil shows as empty, marked
// null) and the code of its validation error, if any.
type gridCell struct {
	Value *string
	Error string
}

type columnErrors struct {
	Column string
	Count  int
}

// logPageEvents is how many import-log events the import page shows.
const logPageEvents = 200

func (h *Handler) importShow(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	im, err := h.o.Store.Import(ctx, s.Org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := importView{Import: im, ImporterName: "(deleted importer)", CanDelete: h.o.Retention != nil && s.can(store.RoleAdmin),
		Encrypted: len(im.Recipients) > 0 && im.Status != store.StatusPurged && len(im.WrappedKey) > 0}
	var tmpl []byte
	if importer, err := h.o.Store.Importer(ctx, s.Org.ID, im.ImporterID); err == nil {
		d.ImporterName = importer.Name
		tmpl = importer.Template
	}
	offset, _ := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	offset = max(offset, 0)
	d.Page, err = h.o.Rows.Page(ctx, s.Org.ID, im.ID, offset, gridPageRows)
	switch {
	case errors.Is(err, rows.ErrUnreadable):
	case err != nil:
		return err
	default:
		d.Readable = true
		d.Headers = gridHeaders(d.Page.Columns, tmpl)
		d.Cells = gridCells(d.Page)
		d.FirstRow, d.LastRow = offset+1, offset+int64(len(d.Page.Rows))
		if offset > 0 {
			d.PrevURL = pageURL(im.ID, max(offset-gridPageRows, 0))
		}
		if offset+gridPageRows < d.Page.Total {
			d.NextURL = pageURL(im.ID, offset+gridPageRows)
		}
	}
	if d.ColumnErrors, err = h.columnErrors(r, im.ID); err != nil {
		return err
	}
	// The page stays as fast for an import of 10,000 small chunks as for one
	// of ten: it shows the log's first events; the API pages through all.
	if d.Log, err = h.o.Store.ImportLog(ctx, s.Org.ID, im.ID, 0, logPageEvents+1); err != nil {
		return err
	}
	if len(d.Log) > logPageEvents {
		d.Log, d.LogMore = d.Log[:logPageEvents], true
	}
	if h.o.Delivery != nil {
		d.Delivering = true
		if d.Deliveries, err = h.o.Delivery.Deliveries(ctx, s.Org.ID, im.ID); err != nil {
			return err
		}
	}
	v := view{Title: "Import " + im.ID, Nav: "imports", User: &s.User, Org: s.Org, D: d}
	switch {
	case r.URL.Query().Get("deleted") != "":
		v.Notice = "The rows were deleted: the data key is destroyed and a receipt was recorded."
	case r.URL.Query().Get("replayed") != "":
		v.Notice = "The import will be delivered again."
	}
	return h.render(w, r, http.StatusOK, "import", v)
}

func pageURL(id string, offset int64) string {
	return "/imports/" + url.PathEscape(id) + "?offset=" + strconv.FormatInt(offset, 10)
}

// gridCells pairs each cell with its error code.
func gridCells(p rows.Page) [][]gridCell {
	col := map[string]int{}
	for i, c := range p.Columns {
		col[c] = i
	}
	index := map[int64]int{}
	for i, n := range p.RowNumbers {
		index[n] = i
	}
	out := make([][]gridCell, len(p.Rows))
	for i, row := range p.Rows {
		out[i] = make([]gridCell, len(row))
		for j, v := range row {
			out[i][j].Value = v
		}
	}
	for _, e := range p.Errors {
		i, ok := index[e.Row]
		j, ok2 := col[e.Column]
		if ok && ok2 && j < len(out[i]) {
			out[i][j].Error = e.Code
		}
	}
	return out
}

// columnErrors sums the per-column error counts the chunks recorded.
func (h *Handler) columnErrors(r *http.Request, importID string) ([]columnErrors, error) {
	chunks, err := h.o.Store.Chunks(r.Context(), importID)
	if err != nil {
		return nil, err
	}
	sum := map[string]int{}
	for _, c := range chunks {
		for k, n := range c.ErrorColumns {
			sum[k] += n
		}
	}
	out := make([]columnErrors, 0, len(sum))
	for k, n := range sum {
		out = append(out, columnErrors{k, n})
	}
	sort.Slice(out, func(a, b int) bool {
		return out[a].Count > out[b].Count || out[a].Count == out[b].Count && out[a].Column < out[b].Column
	})
	return out, nil
}
