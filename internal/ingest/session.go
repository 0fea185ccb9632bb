package ingest

import (
	"context"
	"errors"
	"slices"

	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/store"
)

// Status is what a client needs to resume an upload.
type Status struct {
	ImportID     string `json:"import_id"`
	Status       string `json:"status"`
	Chunks       []int  `json:"chunks"`
	RowsReceived int64  `json:"rows_received"`
}

// Status reports the chunks stored so far.
func (s *Service) Status(ctx context.Context, importID, token string) (Status, error) {
	im, err := s.authorize(ctx, importID, token)
	if err != nil {
		return Status{}, err
	}
	ns, err := s.o.Store.ChunkNumbers(ctx, importID)
	if err != nil {
		return Status{}, err
	}
	return Status{ImportID: im.ID, Status: im.Status, Chunks: ns, RowsReceived: im.RowsReceived}, nil
}

// CompleteRequest is the client's claim of what it sent.
type CompleteRequest struct {
	Chunks int   `json:"chunks"`
	Rows   int64 `json:"rows"`
	// RowsSkipped counts the blank rows the client dropped from the file
	// before sending (every cell empty after trimming); 0 when absent. A
	// count only: what was in them is never sent.
	RowsSkipped int64 `json:"rows_skipped"`
	// Learned is the header → key changes the end user made in the
	// matching step (at most MaxLearnedPerImport). Kept, in the matcher's
	// normalised form, only when the import completes, the importer learns
	// mappings and the key is one of its template's; the headers' text is
	// treated like a cell value: never logged, never in an error.
	Learned []LearnedPair `json:"learned"`
}

// LearnedPair is one header → template key the end user chose.
type LearnedPair struct {
	Header string `json:"header"`
	Key    string `json:"key"`
}

// MaxLearnedPerImport bounds CompleteRequest.Learned; the widget sends no
// more.
const MaxLearnedPerImport = 100

// MaxRowsSkipped bounds CompleteRequest.RowsSkipped: far more blank rows
// than any file the widget reads can hold, small enough that no counter
// overflows.
const MaxRowsSkipped = 1_000_000_000

// CompleteResponse is the server's count of what it holds.
type CompleteResponse struct {
	ImportID string `json:"import_id"`
	Status   string `json:"status"`
	Chunks   int    `json:"chunks"`
	// Rows is the number of rows stored (or relayed).
	Rows           int64 `json:"rows"`
	RowsWithErrors int64 `json:"rows_with_errors"`
	// RowsSkipped is the number of blank rows left out of the import.
	RowsSkipped int64 `json:"rows_skipped"`
}

// Complete finalises an import once every chunk is stored and the row count
// matches.
func (s *Service) Complete(ctx context.Context, importID, token string, req CompleteRequest) (CompleteResponse, error) {
	im, err := s.authorize(ctx, importID, token)
	if err != nil {
		return CompleteResponse{}, err
	}
	if req.Chunks < 0 || req.Chunks > MaxChunks || req.Rows < 0 {
		return CompleteResponse{}, errorf(KindInvalid, "bad_request", "chunks must be from 0 to %d and rows at least 0", MaxChunks)
	}
	if req.RowsSkipped < 0 || req.RowsSkipped > MaxRowsSkipped {
		return CompleteResponse{}, errorf(KindInvalid, "bad_rows_skipped", "rows_skipped must be an integer from 0 to %d", MaxRowsSkipped)
	}
	if len(req.Learned) > MaxLearnedPerImport {
		return CompleteResponse{}, errorf(KindInvalid, "bad_learned", "learned must have at most %d entries", MaxLearnedPerImport)
	}
	importer, err := s.o.Store.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Disabled(importer.Key)) {
		return CompleteResponse{}, errorf(KindNotFound, "unknown_importer", "the importer of this import was deleted")
	}
	if err != nil {
		return CompleteResponse{}, err
	}
	var hooks []store.CompleteHook
	if s.o.OnComplete != nil {
		hooks = append(hooks, s.o.OnComplete)
	}
	c, err := s.o.Store.CompleteImport(ctx, importID, req.Chunks, req.Rows, req.RowsSkipped, importer.RetentionDays, s.duplicates(importer), hooks...)
	var ranges *store.RowRangeError
	switch {
	case errors.Is(err, store.ErrChunksMissing):
		return CompleteResponse{}, errorf(KindConflict, "chunks_missing", "%d chunks were announced but not all are stored", req.Chunks)
	case errors.Is(err, store.ErrRowMismatch):
		return CompleteResponse{}, errorf(KindConflict, "row_count_mismatch", "the stored chunks, with the blank rows dropped from them, do not add up to the %d rows announced", req.Rows)
	case errors.As(err, &ranges):
		return CompleteResponse{}, rowRangeError(ranges)
	case errors.Is(err, store.ErrNotUploading):
		return CompleteResponse{}, errorf(KindConflict, "import_not_uploading", "the import is %s", im.Status)
	case err != nil:
		return CompleteResponse{}, err
	}
	s.o.Logger.InfoContext(ctx, "import completed", "import_id", importID, "chunks", c.Chunks, "rows", c.Rows,
		"rows_with_errors", c.RowsWithErrors, "rows_skipped", c.RowsSkipped)
	s.learn(ctx, importer, importID, req.Learned)
	return CompleteResponse{ImportID: importID, Status: store.StatusCompleted, Chunks: c.Chunks, Rows: c.Rows,
		RowsWithErrors: c.RowsWithErrors, RowsSkipped: c.RowsSkipped}, nil
}

// learn keeps a completed import's learned pairs whose key is in the
// importer's template. It runs after the completion has committed and a
// failure only costs the proposal next time, so it is logged (counts and
// ids only) rather than failing an import that is already complete.
func (s *Service) learn(ctx context.Context, importer store.Importer, importID string, pairs []LearnedPair) {
	if !importer.LearnMappings || len(pairs) == 0 {
		return
	}
	c, err := s.engine(importer)
	if err != nil {
		s.o.Logger.ErrorContext(ctx, "learn mappings", "import_id", importID, "err", err)
		return
	}
	var keep []store.LearnedMapping
	for _, p := range pairs {
		h := mapping.Normalise(p.Header)
		if h != "" && slices.Contains(c.keys, p.Key) {
			keep = append(keep, store.LearnedMapping{Header: h, Key: p.Key})
		}
	}
	n, err := s.o.Store.Learn(ctx, importer.ID, keep)
	if err != nil {
		s.o.Logger.ErrorContext(ctx, "learn mappings", "import_id", importID, "err", err)
		return
	}
	s.o.Logger.InfoContext(ctx, "mappings learned", "import_id", importID, "sent", len(pairs), "learned", n)
}

// rowRangeError is the refusal of a completion whose chunks do not cover
// every row once: rows_overlap when a chunk starts inside the rows of the
// chunks before it, rows_missing when rows fall between chunks or after
// the last.
func rowRangeError(e *store.RowRangeError) *Error {
	switch {
	case e.Chunk < 0:
		return errorf(KindConflict, "rows_missing", "the chunks end at row %d: rows %d to %d of the %d announced are in no chunk", e.Want, e.Want, e.FirstRow-1, e.FirstRow)
	case e.FirstRow < e.Want:
		return errorf(KindConflict, "rows_overlap", "chunk %d starts at row %d, inside the rows of the chunks before it (up to row %d): a row may be sent in one chunk only", e.Chunk, e.FirstRow, e.Want-1)
	}
	return errorf(KindConflict, "rows_missing", "rows %d to %d are in no chunk: chunk %d starts at row %d", e.Want, e.FirstRow-1, e.Chunk, e.FirstRow)
}

// relayChunk hands a bypass-mode chunk to the destinations and records only
// its counts: nothing of the rows is written.
func (s *Service) relayChunk(ctx context.Context, importer store.Importer, im store.Import, n int, c *compiled,
	chunk ChunkBody, v validated, sum []byte) (ChunkResult, error) {
	bad, errCols := summarize(v.errs, c.keys)
	if bad > 0 && !importer.AllowInvalid {
		return ChunkResult{}, invalidRows(n, chunk.FirstRow, v, c.keys)
	}
	if s.o.Relay == nil {
		return ChunkResult{}, errorf(KindUpstream, "no_destination", "this importer bypasses storage but has no destination to relay to")
	}
	if err := s.o.Relay(ctx, importer, im.ID, n, chunk.FirstRow, c.keys, v.rows); err != nil {
		s.o.Logger.WarnContext(ctx, "bypass relay failed", "import_id", im.ID, "chunk", n, "err", err)
		return ChunkResult{}, errorf(KindUpstream, "destination_refused", "a destination did not accept chunk %d; nothing was stored, retry later", n)
	}
	w, err := s.o.Store.BeginChunk(ctx, im.ID)
	if err != nil {
		return ChunkResult{}, err
	}
	defer w.Rollback()
	err = w.Put(store.Chunk{ImportID: im.ID, N: n, FirstRow: chunk.FirstRow, Rows: len(v.rows), RowsSkipped: v.skipped, RowsWithErrors: bad,
		ErrorColumns: errCols, BodyHash: sum, BlobKey: ""})
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		return ChunkResult{}, err
	}
	return ChunkResult{Chunk: n, Rows: len(v.rows), RowsSkipped: v.skipped, RowsWithErrors: bad}, nil
}
