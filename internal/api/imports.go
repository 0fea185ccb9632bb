package api

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/intakehq/intake/internal/store"
)

// Paging bounds.
const (
	defaultPage = 50
	maxPage     = 1000
)

func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, badRequest("bad_parameter", "%s must be an integer from %d to %d", name, lo, hi)
	}
	return v, nil
}

func (a *API) importList(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	limit, err := intParam(r, "limit", defaultPage, 1, maxPage)
	if err != nil {
		return err
	}
	f := store.ImportFilter{ImporterID: r.URL.Query().Get("importer"), Status: r.URL.Query().Get("status"), Limit: int(limit)}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if f.BeforeCreated, f.BeforeID, err = parseCursor(c); err != nil {
			return err
		}
	}
	ims, err := a.store.Imports(r.Context(), org.ID, f)
	if err != nil {
		return err
	}
	resp := map[string]any{"imports": ims}
	if len(ims) == int(limit) {
		last := ims[len(ims)-1]
		resp["next_cursor"] = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%s", last.CreatedAt.UnixMicro(), last.ID))
	}
	return writeJSON(w, http.StatusOK, resp)
}

func parseCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "."); ok {
			if v, err := strconv.ParseInt(at, 10, 64); err == nil && id != "" {
				return v, id, nil
			}
		}
	}
	return 0, "", badRequest("bad_parameter", "cursor is not one this API returned")
}

func (a *API) importGet(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	im, err := a.store.Import(r.Context(), org.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := a.withFile(r.Context(), org.ID, im)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) importRows(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	offset, err := intParam(r, "offset", 0, 0, 1<<50)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, 10000)
	if err != nil {
		return err
	}
	page, err := a.rows.Page(r.Context(), org.ID, r.PathValue("id"), offset, int(limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (a *API) importLog(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if _, err := a.store.Import(r.Context(), org.ID, r.PathValue("id")); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", maxPage, 1, maxPage)
	if err != nil {
		return err
	}
	after, err := intParam(r, "after", 0, 0, math.MaxInt64)
	if err != nil {
		return err
	}
	events, err := a.store.ImportLog(r.Context(), org.ID, r.PathValue("id"), after, int(limit))
	if err != nil {
		return err
	}
	resp := map[string]any{"events": events}
	if len(events) == int(limit) {
		resp["next_after"] = events[len(events)-1].Seq
	}
	return writeJSON(w, http.StatusOK, resp)
}
