package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/ingest"
)

// maxCreateBody bounds the upload-creation request.
const maxCreateBody = 64 << 10

// maxCompleteBody bounds the completion request: its counts and up to
// ingest.MaxLearnedPerImport learned headers of up to 200 characters.
const maxCompleteBody = 128 << 10

// chunkReadTimeout bounds the time to receive one chunk body: 8 MiB at
// about 0.5 Mbit/s.
const chunkReadTimeout = 2 * time.Minute

func (a *API) uploadCreate(w http.ResponseWriter, r *http.Request) error {
	var req ingest.CreateRequest
	if err := decode(w, r, maxCreateBody, &req); err != nil {
		return err
	}
	if origin := r.Header.Get("Origin"); origin != "" && !a.sameOrigin(r, origin) {
		im, err := a.store.ImporterByKey(r.Context(), req.Importer)
		if err == nil && !a.ingest.Disabled(req.Importer) && !slices.Contains(im.AllowedOrigins, origin) {
			return &Error{Status: http.StatusForbidden, Code: "origin_not_allowed", Message: "this importer does not accept uploads from this origin"}
		}
	}
	resp, err := a.ingest.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

// WithPublicURL names Intake's public base URL (config.PublicURL, already
// scheme://host[:port]): its origin is Intake's own, the widget's iframe.
// Behind a TLS-terminating proxy the request arrives over plain HTTP, so
// only this says the browser's origin is https://…
func WithPublicURL(u string) Option { return func(a *API) { a.publicOrigin = u } }

// sameOrigin reports whether origin is Intake's own (the widget's iframe):
// the public URL's when there is one, else the request's scheme and Host.
func (a *API) sameOrigin(r *http.Request, origin string) bool {
	if a.publicOrigin != "" {
		return strings.EqualFold(origin, a.publicOrigin)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

func (a *API) uploadStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := a.ingest.Status(r.Context(), r.PathValue("id"), bearer(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) uploadChunk(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= ingest.MaxChunks {
		return badRequest("bad_chunk_number", "chunk number must be an integer from 0 to %d", ingest.MaxChunks-1)
	}
	// A chunk body that trickles in holds its connection and what it sent
	// so far: it gets a while, not forever (the server's own timeouts stop
	// at the header).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(chunkReadTimeout))
	body := http.MaxBytesReader(w, r.Body, a.ingest.MaxChunkBytes()+1)
	res, err := a.ingest.PutChunk(r.Context(), r.PathValue("id"), bearer(r), n, strings.ToLower(r.Header.Get("Content-Encoding")), body)
	if err != nil {
		return busy(w, err)
	}
	return writeJSON(w, http.StatusOK, res)
}

// busy turns ingest's refusal of a chunk it has no memory for right now into
// 429 with Retry-After (the widget retries 429 with backoff); other errors
// pass through.
func busy(w http.ResponseWriter, err error) error {
	var ie *ingest.Error
	if !errors.As(err, &ie) || ie.Kind != ingest.KindBusy {
		return err
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(ie.RetryAfter.Round(time.Second)/time.Second))))
	return &Error{Status: http.StatusTooManyRequests, Code: ie.Code, Message: ie.Message}
}

func (a *API) uploadComplete(w http.ResponseWriter, r *http.Request) error {
	var req ingest.CompleteRequest
	if err := decode(w, r, maxCompleteBody, &req); err != nil {
		return err
	}
	resp, err := a.ingest.Complete(r.Context(), r.PathValue("id"), bearer(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
