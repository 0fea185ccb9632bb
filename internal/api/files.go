package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// WithFileImports serves headless imports: files sent to an importer, their
// progress and error reports, and watched prefixes.
func WithFileImports(f *fileimport.Service) Option { return func(a *API) { a.files = f } }

func (a *API) registerFiles(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /api/v1/importers/{id}/files", a.withOrg(a.fileCreate))
	mux.Handle("GET /api/v1/imports/{id}/errors", a.withOrg(a.fileErrors))
	mux.Handle("GET /api/v1/imports/{id}/errors.csv", a.withOrg(a.fileErrorsCSV))
	mux.Handle("PUT /api/v1/importers/{id}/watch", a.withOrg(a.watchPut))
	mux.Handle("GET /api/v1/importers/{id}/watch", a.withOrg(a.watchGet))
	mux.Handle("DELETE /api/v1/importers/{id}/watch", a.withOrg(a.watchDelete))
}

// orgImporter finds one of org's importers by id (ipr_…) or public key (imp_…).
func (a *API) orgImporter(ctx context.Context, org store.Organization, idOrKey string) (store.Importer, error) {
	if !strings.HasPrefix(idOrKey, "imp_") {
		return a.store.Importer(ctx, org.ID, idOrKey)
	}
	im, err := a.store.ImporterByKey(ctx, idOrKey)
	if err == nil && (im.OrgID != org.ID || a.ingest.Disabled(idOrKey)) {
		err = store.ErrNotFound
	}
	return im, err
}

// fileOptions reads the options from query parameters and, for multipart
// bodies, from the form fields before the file (which take precedence).
func fileOptions(get func(string) string) (fileimport.Options, error) {
	var o fileimport.Options
	o.Sheet, o.Delimiter, o.Encoding = get("sheet"), get("delimiter"), get("encoding")
	if v := get("header_row"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return o, badRequest("bad_parameter", "header_row must be 0 (no header row) or a 1-based row number")
		}
		o.HeaderRow = &n
	}
	if v := get("mapping"); v != "" && v != "auto" {
		// Never echoed: headers are the file's, and treated like its cells.
		if err := json.Unmarshal([]byte(v), &o.Mapping); err != nil || o.Mapping == nil {
			return o, badRequest("bad_parameter", `mapping must be "auto" or a JSON object of header → template key`)
		}
	}
	if v := get("min_confidence"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return o, badRequest("bad_parameter", "min_confidence must be a number above 0 and at most 1")
		}
		o.MinConfidence = f
	}
	if v := get("allow_invalid"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, badRequest("bad_parameter", "allow_invalid must be true or false")
		}
		o.AllowInvalid = &b
	}
	return o, nil
}

// fileCreate takes a file for an importer: the raw body, or the part named
// "file" of a multipart/form-data body. It answers 202 with the import's
// id once the file is stored (sealed) and its job enqueued.
func (a *API) fileCreate(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if a.files == nil {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API route"}
	}
	importer, err := a.orgImporter(r.Context(), org, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	name := q.Get("name")
	var body io.Reader = r.Body
	fields := map[string]string{}
	if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil || params["boundary"] == "" {
			return badRequest("bad_body", "the multipart body has no boundary")
		}
		// Fields before the file part are options; the file part is
		// streamed, never buffered whole.
		for {
			part, err := mr.NextPart()
			if err != nil {
				return badRequest("bad_body", `the multipart body has no part named "file"`)
			}
			if part.FormName() == "file" {
				body = part
				if name == "" {
					name = part.FileName()
				}
				break
			}
			v, err := io.ReadAll(io.LimitReader(part, maxManagementBody+1))
			if err != nil || len(v) > maxManagementBody {
				return badRequest("bad_body", "a multipart field before the file is too long")
			}
			fields[part.FormName()] = string(v)
		}
	} else if name == "" {
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
			name = params["filename"]
		}
	}
	o, err := fileOptions(func(k string) string {
		if v, ok := fields[k]; ok {
			return v
		}
		return q.Get(k)
	})
	if err != nil {
		return err
	}
	sub, err := a.files.Submit(r.Context(), importer, name, body, o, "")
	switch {
	case errors.Is(err, fileimport.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "file_too_large", Message: err.Error()}
	case errors.Is(err, fileimport.ErrUnsupported):
		return badRequest("mode_unsupported", "%s", err.Error())
	case errors.Is(err, fileimport.ErrOptions):
		return badRequest("bad_parameter", "%s", err.Error())
	case err != nil:
		return err
	}
	w.Header().Set("Location", "/api/v1/imports/"+sub.ImportID)
	return writeJSON(w, http.StatusAccepted, sub)
}

// importWithFile is an import as GET /api/v1/imports/{id} shows it: with
// its file import's progress and outcome when a file was sent.
type importWithFile struct {
	store.Import
	File *store.FileImport `json:"file,omitempty"`
}

func (a *API) withFile(ctx context.Context, orgID string, im store.Import) (importWithFile, error) {
	f, err := a.store.FileImport(ctx, orgID, im.ID)
	if errors.Is(err, store.ErrNotFound) {
		return importWithFile{Import: im}, nil
	}
	if err != nil {
		return importWithFile{}, err
	}
	// The job purges a failed import before it records the failure, so the
	// import read after its file import is never older than the outcome.
	if im, err = a.store.Import(ctx, orgID, im.ID); err != nil {
		return importWithFile{}, err
	}
	return importWithFile{Import: im, File: &f}, nil
}

func (a *API) fileErrors(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if _, err := a.store.FileImport(r.Context(), org.ID, r.PathValue("id")); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", maxPage, 1, maxPage)
	if err != nil {
		return err
	}
	after, err := intParam(r, "after", -1, -1, 1<<31)
	if err != nil {
		return err
	}
	errs, last, err := a.store.FileImportErrors(r.Context(), org.ID, r.PathValue("id"), int(after), int(limit))
	if err != nil {
		return err
	}
	resp := map[string]any{"errors": errs}
	if len(errs) == int(limit) {
		resp["next_after"] = last
	}
	return writeJSON(w, http.StatusOK, resp)
}

// fileErrorsCSV downloads the whole error report: row, column, code.
func (a *API) fileErrorsCSV(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	id := r.PathValue("id")
	if _, err := a.store.FileImport(r.Context(), org.ID, id); err != nil {
		return err
	}
	rows.Serve(w, r, a.log, rows.CSV, id+"-errors", []string{"row", "column", "code"}, errorReport{a.store, org.ID, id})
	return nil
}

// errorReport reads an error report page by page for rows.Serve.
type errorReport struct {
	st              *store.Store
	orgID, importID string
}

func (e errorReport) Each(ctx context.Context, fn func([][]*string) error) error {
	after := -1
	for {
		errs, last, err := e.st.FileImportErrors(ctx, e.orgID, e.importID, after, maxPage)
		if err != nil || len(errs) == 0 {
			return err
		}
		out := make([][]*string, len(errs))
		for i, fe := range errs {
			row := strconv.FormatInt(fe.Row, 10)
			out[i] = []*string{&row, &fe.Column, &fe.Code}
		}
		if err := fn(out); err != nil {
			return err
		}
		after = last
	}
}

func (a *API) watchPut(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	if a.files == nil {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API route"}
	}
	importer, err := a.orgImporter(r.Context(), org, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in fileimport.WatchSettings
	if err := decode(w, r, maxManagementBody, &in); err != nil {
		return err
	}
	wt, err := a.files.PrepareWatch(r.Context(), importer, in)
	if errors.Is(err, fileimport.ErrOptions) {
		return badRequest("bad_watch", "%s", err.Error())
	}
	if err != nil {
		return err
	}
	if err := a.store.PutWatch(r.Context(), org.ID, wt); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wt)
}

func (a *API) watchGet(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	importer, err := a.orgImporter(r.Context(), org, r.PathValue("id"))
	if err != nil {
		return err
	}
	wt, err := a.store.Watch(r.Context(), org.ID, importer.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wt)
}

func (a *API) watchDelete(w http.ResponseWriter, r *http.Request, org store.Organization) error {
	importer, err := a.orgImporter(r.Context(), org, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := a.store.DeleteWatch(r.Context(), org.ID, importer.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
