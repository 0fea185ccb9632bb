// Package api is Intake's JSON API: management under /api/v1 (bearer API
// keys, every query scoped by the key's organization) and the upload API the
// widget uses (importer key plus a per-import upload token). Handlers return
// errors; one translator turns them into `{"error":{"code","message"}}` with
// the right status and never leaks internals or cell values.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// API holds the handlers' dependencies.
type API struct {
	store  *store.Store
	ingest *ingest.Service
	rows   *rows.Reader
	purge  *retention.Service
	log    *slog.Logger
	// delivery serves destinations and the delivery log (WithDelivery).
	delivery *delivery.Service
	// publicOrigin is Intake's own origin when configured (WithPublicURL).
	publicOrigin string
	// vault seals and opens importers' identity secrets (WithVault);
	// without it signed end users cannot be turned on.
	vault *vault.Vault
	// files serves headless file imports (WithFileImports).
	files *fileimport.Service
}

// WithVault gives the API the vault that seals importers' identity secrets
// (signed end users, internal/identity).
func WithVault(v *vault.Vault) Option { return func(a *API) { a.vault = v } }

// New returns the API.
func New(st *store.Store, in *ingest.Service, rd *rows.Reader, purge *retention.Service, logger *slog.Logger, opts ...Option) *API {
	a := &API{store: st, ingest: in, rows: rd, purge: purge, log: logger}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Register adds every API route to mux (an *http.ServeMux, or the server's
// router, which also records each pattern for the route-matrix test).
func (a *API) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /api/v1/importers", a.withOrg(a.importerCreate))
	mux.Handle("GET /api/v1/importers", a.withOrg(a.importerList))
	mux.Handle("GET /api/v1/importers/{id}", a.withOrg(a.importerGet))
	mux.Handle("PATCH /api/v1/importers/{id}", a.withOrg(a.importerUpdate))
	mux.Handle("DELETE /api/v1/importers/{id}", a.withOrg(a.importerDelete))
	mux.Handle("GET /api/v1/importers/{id}/learned", a.withOrg(a.learnedList))
	mux.Handle("DELETE /api/v1/importers/{id}/learned", a.withOrg(a.learnedForget))
	mux.Handle("GET /api/v1/imports", a.withOrg(a.importList))
	mux.Handle("GET /api/v1/imports/{id}", a.withOrg(a.importGet))
	mux.Handle("GET /api/v1/imports/{id}/rows", a.withOrg(a.importRows))
	mux.Handle("GET /api/v1/imports/{id}/log", a.withOrg(a.importLog))
	mux.Handle("DELETE /api/v1/imports/{id}", a.withOrg(a.importDelete))
	mux.Handle("DELETE /api/v1/data", a.withOrg(a.dataDelete))
	mux.Handle("GET /api/v1/imports/{id}/download", a.withOrg(a.importDownload))
	mux.Handle("POST /api/v1/importers/{id}/destinations", a.withOrg(a.destinationCreate))
	mux.Handle("GET /api/v1/importers/{id}/destinations", a.withOrg(a.destinationList))
	mux.Handle("GET /api/v1/importers/{id}/destinations/{dest}", a.withOrg(a.destinationGet))
	mux.Handle("PATCH /api/v1/importers/{id}/destinations/{dest}", a.withOrg(a.destinationUpdate))
	mux.Handle("DELETE /api/v1/importers/{id}/destinations/{dest}", a.withOrg(a.destinationDelete))
	mux.Handle("POST /api/v1/importers/{id}/destinations/{dest}/test", a.withOrg(a.destinationTest))
	mux.Handle("GET /api/v1/imports/{id}/deliveries", a.withOrg(a.deliveryList))
	mux.Handle("POST /api/v1/imports/{id}/deliveries/{dest}/replay", a.withOrg(a.deliveryReplay))

	a.registerFiles(mux)

	mux.Handle("POST /api/v1/uploads", a.handle(a.uploadCreate))
	mux.Handle("GET /api/v1/uploads/{id}", a.handle(a.uploadStatus))
	mux.Handle("PUT /api/v1/uploads/{id}/chunks/{n}", a.handle(a.uploadChunk))
	mux.Handle("POST /api/v1/uploads/{id}/complete", a.handle(a.uploadComplete))
	mux.Handle("/api/", a.handle(func(w http.ResponseWriter, r *http.Request) error {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such API route"}
	}))
}

// Error is an API error with its HTTP status.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func badRequest(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

var ingestStatus = map[ingest.Kind]int{
	ingest.KindInvalid:             http.StatusBadRequest,
	ingest.KindInvalidRows:         http.StatusUnprocessableEntity,
	ingest.KindNotFound:            http.StatusNotFound,
	ingest.KindUnauthorized:        http.StatusUnauthorized,
	ingest.KindConflict:            http.StatusConflict,
	ingest.KindTooLarge:            http.StatusRequestEntityTooLarge,
	ingest.KindUnsupportedEncoding: http.StatusUnsupportedMediaType,
	ingest.KindUpstream:            http.StatusBadGateway,
}

// translate maps any error to the API error the client sees.
func translate(err error) *Error {
	var ae *Error
	var ie *ingest.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ie):
		e := &Error{Status: ingestStatus[ie.Kind], Code: ie.Code, Message: ie.Message}
		if ie.Details != nil {
			e.Details = ie.Details
		}
		return e
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("request bodies are limited to %d bytes", mbe.Limit)}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
	case errors.Is(err, rows.ErrUnreadable):
		return &Error{Status: http.StatusGone, Code: "data_gone", Message: "the rows of this import are not stored (purged, bypassed or client-only)"}
	case errors.Is(err, context.Canceled):
		return &Error{Status: 499, Code: "canceled", Message: "the request was canceled"}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *API) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			e := translate(err)
			if e.Status >= 500 {
				// Internal errors carry ids and causes from our code, never values.
				a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
			}
			// The client may be gone; there is no one left to tell.
			_ = writeJSON(w, e.Status, map[string]*Error{"error": e})
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// decode reads one JSON object into v, strictly: unknown fields, trailing
// data and wrong types are refused with a message naming the field, never
// quoting the input.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("bad_json", "the body must hold exactly one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("bad_json", "the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &syn):
		return badRequest("bad_json", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		// The path names the request's own fields (a map's keys are not in
		// it); the type is said as JSON calls it, not as Go does.
		return badRequest("bad_json", "field %q must be %s", typ.Field, jsonKind(typ.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("bad_json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// Never echoed: a key the client sent may hold anything, a cell
		// value included.
		return badRequest("bad_json", "the body has a field this endpoint does not take (see docs/api.md)")
	}
	return badRequest("bad_json", "the body is not a valid JSON object")
}

// jsonKind names a Go type as the JSON value that decodes into it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "an object"
}

// bearer extracts the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
