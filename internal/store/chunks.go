package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"time"

	"github.com/intakehq/intake/internal/importlog"
)

// Chunk is the metadata of one sealed chunk; its rows live in the blob store
// under BlobKey, sealed with the import's data key.
type Chunk struct {
	ImportID string
	N        int
	FirstRow int64
	// Rows is the number of rows stored (or relayed).
	Rows int
	// RowsSkipped is the number of blank rows dropped from the chunk as
	// sent: it held Rows+RowsSkipped rows.
	RowsSkipped    int
	RowsWithErrors int
	// ErrorColumns counts errors by column key (no values).
	ErrorColumns map[string]int
	BodyHash     []byte
	BlobKey      string
	SealedBytes  int64
	// Claims are the unique values the chunk holds first (written by Put,
	// never read back: they are merged at completion).
	Claims []Claim
	// Duplicates is the chunk's sealed duplicates overlay, recorded when
	// its import completed (nil for none): rows of the chunk holding a
	// value of a unique column that a row before them, in another chunk,
	// holds. Readers merge it into the chunk's stored errors (see
	// rows.OpenDuplicates).
	Duplicates []byte
}

// ErrChunkMismatch means a chunk number is already stored with other content.
var ErrChunkMismatch = errors.New("chunk already stored with different content")

// StoredChunk looks up chunk n of an import: ok is false when absent.
func (s *Store) StoredChunk(ctx context.Context, importID string, n int) (c Chunk, ok bool, err error) {
	c, err = scanChunk(s.read.QueryRowContext(ctx, `SELECT `+chunkColumns+` FROM chunks WHERE import_id = $1 AND n = $2`, importID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("stored chunk %d: %w", n, err)
	}
	return c, true, nil
}

const chunkColumns = `import_id, n, first_row, row_count, rows_with_errors, error_columns, body_hash, blob_key, sealed_bytes, rows_skipped, duplicates`

func scanChunk(row interface{ Scan(...any) error }) (Chunk, error) {
	var c Chunk
	var cols string
	if err := row.Scan(&c.ImportID, &c.N, &c.FirstRow, &c.Rows, &c.RowsWithErrors, &cols, &c.BodyHash, &c.BlobKey, &c.SealedBytes, &c.RowsSkipped, &c.Duplicates); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(cols), &c.ErrorColumns); err != nil {
		return c, fmt.Errorf("chunk %d error columns: %w", c.N, err)
	}
	return c, nil
}

// ChunkWriter is the transaction in which one chunk is recorded. The chunk's
// unique-value claims, its row, the import's counters and the import-log event
// commit together or not at all.
type ChunkWriter struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
	im  Import
}

// BeginChunk opens the write transaction for a chunk of importID and checks,
// inside it, that the import still takes uploads. The caller must Commit or
// Rollback.
func (s *Store) BeginChunk(ctx context.Context, importID string) (*ChunkWriter, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin chunk: %w", err)
	}
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE"
	}
	im, err := scanImport(s.txQueryRow(ctx, tx, `SELECT `+importColumns+` FROM imports WHERE id = $1`+lock, importID))
	if err != nil {
		tx.Rollback()
		return nil, notFound(err, "import")
	}
	if im.Status != StatusUploading {
		tx.Rollback()
		return nil, ErrNotUploading
	}
	return &ChunkWriter{s: s, tx: tx, ctx: ctx, im: im}, nil
}

// Existing returns the stored chunk with c's number, if any, so that a retry
// of the same chunk is answered without storing it twice.
func (w *ChunkWriter) Existing(n int) (Chunk, bool, error) {
	c, err := scanChunk(w.s.txQueryRow(w.ctx, w.tx, `SELECT `+chunkColumns+` FROM chunks WHERE import_id = $1 AND n = $2`, w.im.ID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("existing chunk %d: %w", n, err)
	}
	return c, true, nil
}

// Put records the chunk, bumps the import's counters and appends the
// chunk.stored event. A chunk number stored with another body hash gives
// ErrChunkMismatch.
func (w *ChunkWriter) Put(c Chunk) error {
	cols, _ := json.Marshal(c.ErrorColumns)
	// The chunk is inserted unless its number is stored already, which is
	// then looked up: the caller has usually asked Existing in this
	// transaction, so the common path is one statement.
	res, err := w.s.txExec(w.ctx, w.tx, `INSERT INTO chunks (`+chunkColumns+`, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11) ON CONFLICT (import_id, n) DO NOTHING`, w.im.ID, c.N, c.FirstRow, c.Rows, c.RowsWithErrors,
		string(cols), c.BodyHash, c.BlobKey, c.SealedBytes, c.RowsSkipped, w.s.nowMicro())
	if err != nil {
		return fmt.Errorf("insert chunk %d: %w", c.N, err)
	}
	if inserted, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("insert chunk %d: %w", c.N, err)
	} else if inserted == 0 {
		old, _, err := w.Existing(c.N)
		if err != nil {
			return err
		}
		if !bytes.Equal(old.BodyHash, c.BodyHash) {
			return fmt.Errorf("chunk %d: %w", c.N, ErrChunkMismatch)
		}
		return nil
	}
	if err := w.putClaims(c.N, c.FirstRow, c.Claims); err != nil {
		return err
	}
	if _, err := w.s.txExec(w.ctx, w.tx, `UPDATE imports SET rows_received = rows_received + $1,
		rows_with_errors = rows_with_errors + $2, chunks_received = chunks_received + 1, bytes_stored = bytes_stored + $3
		WHERE id = $4`, c.Rows, c.RowsWithErrors, c.SealedBytes, w.im.ID); err != nil {
		return fmt.Errorf("count chunk %d: %w", c.N, err)
	}
	return w.s.appendEvent(w.ctx, w.tx, w.im.OrgID, w.im.ID, importlog.ChunkStored{
		Chunk: c.N, Rows: c.Rows, RowsWithErrors: c.RowsWithErrors, RowsSkipped: c.RowsSkipped, SealedBytes: c.SealedBytes})
}

// Commit makes the chunk durable.
func (w *ChunkWriter) Commit() error {
	err := w.tx.Commit()
	w.s.prepareNoted(w.ctx)
	if err != nil {
		return fmt.Errorf("commit chunk: %w", err)
	}
	return nil
}

// Rollback abandons the chunk (safe after Commit).
func (w *ChunkWriter) Rollback() {
	if w.tx.Rollback() == nil {
		w.s.prepareNoted(w.ctx)
	}
}

// ChunkNumbers lists the chunk numbers stored for an import, ascending, for
// resuming an interrupted upload.
func (s *Store) ChunkNumbers(ctx context.Context, importID string) ([]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT n FROM chunks WHERE import_id = $1 ORDER BY n`, importID)
	if err != nil {
		return nil, fmt.Errorf("chunk numbers: %w", err)
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("chunk numbers: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Chunks lists an import's chunks in row order.
func (s *Store) Chunks(ctx context.Context, importID string) ([]Chunk, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+chunkColumns+` FROM chunks WHERE import_id = $1 ORDER BY first_row, n`, importID)
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	defer rows.Close()
	var out []Chunk
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, fmt.Errorf("list chunks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Completion is what CompleteImport checked and recorded.
type Completion struct {
	// Rows is the number of rows stored (or relayed).
	Rows           int64
	RowsWithErrors int64
	// RowsSkipped counts the blank rows left out: those the client
	// dropped before sending and those ingest dropped from the chunks.
	RowsSkipped int64
	Chunks      int
}

// Completion errors, with what the client claimed differing from what is stored.
var (
	ErrChunksMissing = errors.New("chunks missing")
	ErrRowMismatch   = errors.New("row count does not match")
	// ErrRowRanges: the chunks' rows do not follow one another from row 0
	// (a RowRangeError says where).
	ErrRowRanges = errors.New("chunk row ranges do not cover every row once")
)

// RowRangeError is where the rows of an import's chunks, in order of
// first_row, first fail to follow one another: chunk Chunk starts at
// FirstRow where the rows before it end at Want (FirstRow < Want: rows
// sent twice; FirstRow > Want: rows Want..FirstRow-1 in no chunk). Chunk is
// -1 when the last chunk ends at Want, before the rows announced
// (FirstRow). It holds numbers only.
type RowRangeError struct {
	Chunk          int
	FirstRow, Want int64
}

func (e *RowRangeError) Error() string {
	if e.Chunk < 0 {
		return fmt.Sprintf("chunks end at row %d of %d", e.Want, e.FirstRow)
	}
	return fmt.Sprintf("chunk %d starts at row %d, the rows before it end at %d", e.Chunk, e.FirstRow, e.Want)
}

func (e *RowRangeError) Unwrap() error { return ErrRowRanges }

// checkRowRanges checks that the chunks of an import, each the range of
// rows it held as sent (stored plus blank rows dropped), cover rows 0 to
// sent-1 exactly once: counts alone let two chunks both starting at row 0
// make up the rows of a chunk never sent. Chunks of no rows cover nothing
// and are left out.
func checkRowRanges(ctx context.Context, tx *sql.Tx, importID string, sent int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT n, first_row, row_count + rows_skipped FROM chunks
		WHERE import_id = $1 AND row_count + rows_skipped > 0 ORDER BY first_row, n`, importID)
	if err != nil {
		return fmt.Errorf("chunk row ranges: %w", err)
	}
	defer rows.Close()
	var next int64
	for rows.Next() {
		var n int
		var first, count int64
		if err := rows.Scan(&n, &first, &count); err != nil {
			return fmt.Errorf("chunk row ranges: %w", err)
		}
		if first != next {
			return &RowRangeError{Chunk: n, FirstRow: first, Want: next}
		}
		next = first + count
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chunk row ranges: %w", err)
	}
	if next != sent {
		return &RowRangeError{Chunk: -1, FirstRow: sent, Want: next}
	}
	return nil
}

// CompleteHook runs inside the transaction that completes an import (the
// import as it now stands), so that work caused by the completion, such as
// deliveries and their jobs, commits with it or not at all.
type CompleteHook func(ctx context.Context, tx *sql.Tx, im Import) error

// CompleteImport finalises an upload: every chunk 0..chunks-1 must be stored
// and the rows they held as sent (stored plus the blank rows ingest dropped)
// must add up to sent and cover rows 0 to sent-1 exactly once, each chunk
// starting where the one before it ends (ErrRowRanges). clientSkipped is the client's count of the blank rows
// it dropped before sending; the completion event records it with ingest's.
// The claims of the chunks are then merged and dups records the rows found
// to hold a value of a row before them (see Claim); it may be nil for an
// import without unique columns. The import becomes completed, expiring
// after retentionDays; hooks run in the same transaction, only when the
// import changes state (not for a retried completion).
func (s *Store) CompleteImport(ctx context.Context, importID string, chunks int, sent, clientSkipped int64, retentionDays int,
	dups DuplicatesHook, hooks ...CompleteHook) (Completion, error) {
	var c Completion
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		// On PostgreSQL the row lock orders a completion after the chunks
		// being stored (BeginChunk takes it too) and after a concurrent
		// completion, which this one then finds done.
		lock := ""
		if s.postgres {
			lock = " FOR UPDATE"
		}
		im, err := scanImport(tx.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`+lock, importID))
		if err != nil {
			return notFound(err, "import")
		}
		var count int
		var maxN sql.NullInt64
		var skipped int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(n), COALESCE(SUM(rows_skipped), 0) FROM chunks WHERE import_id = $1`,
			importID).Scan(&count, &maxN, &skipped); err != nil {
			return fmt.Errorf("count chunks: %w", err)
		}
		if im.Status == StatusCompleted && im.ChunksReceived == chunks && im.RowsReceived+skipped == sent {
			c = Completion{Rows: im.RowsReceived, RowsWithErrors: im.RowsWithErrors, RowsSkipped: clientSkipped + skipped, Chunks: im.ChunksReceived}
			return nil // a retried completion is answered the same
		}
		if im.Status != StatusUploading {
			return ErrNotUploading
		}
		if count != chunks || (chunks > 0 && maxN.Int64 != int64(chunks-1)) {
			return fmt.Errorf("%d of %d chunks stored: %w", count, chunks, ErrChunksMissing)
		}
		if im.RowsReceived+skipped != sent {
			return fmt.Errorf("%d rows stored and %d blank rows dropped, %d claimed: %w", im.RowsReceived, skipped, sent, ErrRowMismatch)
		}
		if err := checkRowRanges(ctx, tx, importID, sent); err != nil {
			return err
		}
		more, err := s.resolveDuplicates(ctx, tx, im, dups)
		if err != nil {
			return err
		}
		im.RowsWithErrors += more
		now := s.now()
		expires := now.Add(time.Duration(retentionDays) * 24 * time.Hour).UnixMicro()
		if _, err := tx.ExecContext(ctx, `UPDATE imports SET status = $1, completed_at = $2, expires_at = $3 WHERE id = $4`,
			StatusCompleted, now.UnixMicro(), expires, importID); err != nil {
			return fmt.Errorf("complete import: %w", err)
		}
		c = Completion{Rows: im.RowsReceived, RowsWithErrors: im.RowsWithErrors, RowsSkipped: clientSkipped + skipped, Chunks: count}
		if err := s.appendEvent(ctx, tx, im.OrgID, importID, importlog.Completed{Chunks: count, Rows: c.Rows,
			RowsWithErrors: c.RowsWithErrors, RowsSkipped: c.RowsSkipped}); err != nil {
			return err
		}
		im.Status, im.CompletedAt = StatusCompleted, &now
		for _, hook := range hooks {
			if err := hook(ctx, tx, im); err != nil {
				return fmt.Errorf("complete import %s: %w", importID, err)
			}
		}
		return nil
	})
	return c, err
}
