package api

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/identity"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/store"
)

// maxCreateBody bounds the upload-creation request.
const maxCreateBody = 64 << 10

// maxCompleteBody bounds the completion request: its counts and up to
// ingest.MaxLearnedPerImport learned headers of up to 200 characters.
const maxCompleteBody = 128 << 10

// chunkReadTimeout bounds the time to receive one chunk body: 8 MiB at
// about 0.5 Mbit/s.
const chunkReadTimeout = 2 * time.Minute

// createBody is the upload-creation request: ingest's, and the end user
// signed by the host app's backend (internal/identity).
type createBody struct {
	ingest.CreateRequest
	Identity string `json:"identity,omitempty"`
}

func (a *API) uploadCreate(w http.ResponseWriter, r *http.Request) error {
	var body createBody
	if err := decode(w, r, maxCreateBody, &body); err != nil {
		return err
	}
	req := body.CreateRequest
	// An unknown or switched-off importer is left to ingest, which answers
	// it as unknown whatever else the request says.
	im, err := a.store.ImporterByKey(r.Context(), req.Importer)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && !a.ingest.Disabled(req.Importer) {
		if origin := r.Header.Get("Origin"); origin != "" && !a.sameOrigin(r, origin) && !slices.Contains(im.AllowedOrigins, origin) {
			return &Error{Status: http.StatusForbidden, Code: "origin_not_allowed", Message: "this importer does not accept uploads from this origin"}
		}
		if err := a.signedUser(r, im, body.Identity, &req); err != nil {
			return err
		}
	}
	resp, err := a.ingest.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

// signedUser checks the identity token of an upload for importer im and,
// when it is valid, makes what it signs the import's user and metadata (the
// request's unsigned ones are dropped). An importer that requires signed
// end users takes no upload without a valid token.
func (a *API) signedUser(r *http.Request, im store.Importer, token string, req *ingest.CreateRequest) error {
	if a.vault == nil {
		if im.RequireIdentity || token != "" {
			return &Error{Status: http.StatusNotImplemented, Code: "identity_unavailable", Message: "this server cannot check identity tokens"}
		}
		return nil
	}
	c, err := identity.Check(r.Context(), a.vault, im, token, time.Now())
	switch {
	case errors.Is(err, identity.ErrMissing):
		return &Error{Status: http.StatusUnauthorized, Code: "identity_required", Message: "this importer takes uploads only with an end user signed by the host app (identity)"}
	case errors.Is(err, identity.ErrExpired):
		return &Error{Status: http.StatusUnauthorized, Code: "identity_expired", Message: "the identity token has expired: the host app must sign a new one"}
	case errors.Is(err, identity.ErrInvalid):
		// The token's content and the failed check stay out of the answer.
		return &Error{Status: http.StatusUnauthorized, Code: "identity_invalid", Message: "the identity token is not valid (HS256 signature with the importer's identity secret, exp within a day, a user claim)"}
	case errors.Is(err, identity.ErrNotConfigured):
		return badRequest("identity_not_configured", "this importer has no identity secret: turn signed end users on first")
	case err != nil:
		return err
	case c != nil:
		req.User, req.Metadata = c.User, c.Metadata
	}
	return nil
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
	body := &receivedReader{r: http.MaxBytesReader(w, r.Body, a.ingest.MaxChunkBytes()+1)}
	var res ingest.ChunkResult
	if q := r.URL.Query(); q.Has("rows") {
		// An end-to-end encrypted chunk: age ciphertext, its counts in the query.
		meta, perr := encryptedChunk(q)
		if perr != nil {
			return perr
		}
		res, err = a.ingest.PutEncryptedChunk(r.Context(), r.PathValue("id"), bearer(r), n, meta, body)
	} else {
		res, err = a.ingest.PutChunk(r.Context(), r.PathValue("id"), bearer(r), n, strings.ToLower(r.Header.Get("Content-Encoding")), body)
	}
	if err != nil {
		return busy(w, err)
	}
	// The time the chunk took here once its body was in: the client
	// subtracts it from the request's to tell the link's speed (and whether
	// compressing its chunks is worth the CPU).
	w.Header().Set("Server-Timing", serverTiming(time.Since(body.received)))
	return writeJSON(w, http.StatusOK, res)
}

// serverTiming is the Server-Timing header value of a chunk's time at the
// server after its body arrived ("ingest;dur=" and milliseconds).
func serverTiming(d time.Duration) string {
	return "ingest;dur=" + strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// receivedReader notes when its reader last returned, the end of a
// request body once it was read to the end.
type receivedReader struct {
	r        io.Reader
	received time.Time
}

func (b *receivedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.received = time.Now()
	return n, err
}

// encryptedChunk reads an e2e chunk's first_row and rows from its query.
func encryptedChunk(q url.Values) (ingest.EncryptedChunk, error) {
	first, err1 := strconv.ParseInt(q.Get("first_row"), 10, 64)
	rows, err2 := strconv.Atoi(q.Get("rows"))
	if err1 != nil || err2 != nil {
		return ingest.EncryptedChunk{}, badRequest("bad_chunk_counts", "an encrypted chunk needs integer first_row and rows query parameters")
	}
	return ingest.EncryptedChunk{FirstRow: first, Rows: rows}, nil
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
