package store

import (
	"context"
	"database/sql"
	"fmt"
)

// File import states: queued until its job starts, running while the job
// parses and sends chunks, then completed or failed.
const (
	FileQueued    = "queued"
	FileRunning   = "running"
	FileCompleted = "completed"
	FileFailed    = "failed"
)

// FileImport is the server-side part of an import whose file a program
// sent or a watched source dropped: the job's progress and its outcome. It
// holds counts, codes and sealed material only.
type FileImport struct {
	ImportID       string `json:"-"`
	OrgID          string `json:"-"`
	State          string `json:"state"`
	SourceSegments int    `json:"-"`
	// SourceBytes is the file's size, recorded on the import too when the
	// file import is created (the import was opened before the file arrived).
	SourceBytes int64 `json:"-"`
	// SealedSpec is the job's parse options, column positions and upload
	// token, sealed with the import's data key.
	SealedSpec     []byte `json:"-"`
	RowsParsed     int64  `json:"rows_parsed"`
	ErrorsTotal    int64  `json:"errors"`
	FailureCode    string `json:"failure_code,omitempty"`
	FailureMessage string `json:"failure_message,omitempty"`
	// WatchClaim is the watch claim the file came from ("" for uploads).
	WatchClaim string `json:"-"`
}

// FileImportError is one entry of a file import's error report: the file's
// row (1-based, as a spreadsheet numbers it), the template column and the
// rule's code. Never the cell.
type FileImportError struct {
	Row    int64  `json:"row"`
	Column string `json:"column"`
	Code   string `json:"code"`
}

const fileImportColumns = `import_id, org_id, state, source_segments, sealed_spec, rows_parsed, errors_total,
	failure_code, failure_message, watch_claim`

func scanFileImport(row interface{ Scan(...any) error }) (FileImport, error) {
	var f FileImport
	err := row.Scan(&f.ImportID, &f.OrgID, &f.State, &f.SourceSegments, &f.SealedSpec, &f.RowsParsed, &f.ErrorsTotal,
		&f.FailureCode, &f.FailureMessage, &f.WatchClaim)
	return f, err
}

// CreateFileImport records a queued file import and runs enqueue (which
// inserts its job) in the same transaction, so the import exists with its
// job or not at all. When f came from a watch claim, the claim is marked
// handed over in that transaction too.
func (s *Store) CreateFileImport(ctx context.Context, f FileImport, enqueue func(tx *sql.Tx) error) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMicro()
		if _, err := tx.ExecContext(ctx, `INSERT INTO file_imports (import_id, org_id, state, source_segments, sealed_spec,
			watch_claim, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			f.ImportID, f.OrgID, FileQueued, f.SourceSegments, f.SealedSpec, f.WatchClaim, now); err != nil {
			return fmt.Errorf("insert file import: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE imports SET source_bytes = $1 WHERE id = $2`, f.SourceBytes, f.ImportID); err != nil {
			return fmt.Errorf("record file size: %w", err)
		}
		if f.WatchClaim != "" {
			// Only a claim still waiting: not one handed over, nor one
			// given up on (FailWatchClaim).
			res, err := tx.ExecContext(ctx, `UPDATE watch_claims SET state = $1, import_id = $2 WHERE id = $3 AND state = $4 AND import_id = ''`,
				ClaimImporting, f.ImportID, f.WatchClaim, ClaimClaimed)
			if err := affectedOne(res, err, "watch claim"); err != nil {
				return err
			}
		}
		return enqueue(tx)
	})
}

// FileImport returns orgID's file import of importID.
func (s *Store) FileImport(ctx context.Context, orgID, importID string) (FileImport, error) {
	f, err := scanFileImport(s.read.QueryRowContext(ctx, `SELECT `+fileImportColumns+` FROM file_imports
		WHERE import_id = $1 AND org_id = $2`, importID, orgID))
	if err != nil {
		return f, notFound(err, "file import")
	}
	return f, nil
}

// FileImportByID returns a file import without an organization scope: only
// its job, which was given the id by the transaction that created it, uses it.
func (s *Store) FileImportByID(ctx context.Context, importID string) (FileImport, error) {
	f, err := scanFileImport(s.read.QueryRowContext(ctx, `SELECT `+fileImportColumns+` FROM file_imports
		WHERE import_id = $1`, importID))
	if err != nil {
		return f, notFound(err, "file import")
	}
	return f, nil
}

// FileImportProgress records the rows parsed so far and the state.
func (s *Store) FileImportProgress(ctx context.Context, importID, state string, rowsParsed int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE file_imports SET state = $1, rows_parsed = $2, updated_at = $3
		WHERE import_id = $4`, state, rowsParsed, s.nowMicro(), importID)
	return affectedOne(res, err, "file import")
}

// BeginFileImportRun counts a run of importID's job as failed until
// EndFileImportRun says it ended cleanly, so that a run cut by a crash
// counts too, and returns the runs that failed before this one.
func (s *Store) BeginFileImportRun(ctx context.Context, importID string) (int, error) {
	var n int
	err := s.write.QueryRowContext(ctx, `UPDATE file_imports SET failed_runs = failed_runs + 1 WHERE import_id = $1
		RETURNING failed_runs - 1`, importID).Scan(&n)
	if err != nil {
		return 0, notFound(err, "file import")
	}
	return n, nil
}

// EndFileImportRun records that the run BeginFileImportRun counted ended
// cleanly (it yielded its slice), and the rows parsed so far.
func (s *Store) EndFileImportRun(ctx context.Context, importID string, rowsParsed int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE file_imports SET failed_runs = failed_runs - 1, rows_parsed = $1,
		updated_at = $2 WHERE import_id = $3`, rowsParsed, s.nowMicro(), importID)
	return affectedOne(res, err, "file import")
}

// FinishFileImport records a file import's outcome: its state, the rows
// parsed, the failure (code and value-free message, empty on success) and
// its error report (at most what the job kept; total counts them all). A
// retried job replaces the report of the run before.
func (s *Store) FinishFileImport(ctx context.Context, importID, state string, rowsParsed int64, code, message string,
	report []FileImportError, total int64) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE file_imports SET state = $1, rows_parsed = $2, failure_code = $3,
			failure_message = $4, errors_total = $5, updated_at = $6 WHERE import_id = $7`,
			state, rowsParsed, code, message, total, s.nowMicro(), importID)
		if err := affectedOne(res, err, "file import"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM file_import_errors WHERE import_id = $1`, importID); err != nil {
			return fmt.Errorf("clear error report: %w", err)
		}
		const batch = 200
		for i := 0; i < len(report); i += batch {
			part := report[i:min(i+batch, len(report))]
			q := make([]byte, 0, 64*len(part))
			q = append(q, "INSERT INTO file_import_errors (import_id, seq, row_number, column_key, code) VALUES "...)
			args := make([]any, 0, 5*len(part))
			for j, e := range part {
				if j > 0 {
					q = append(q, ',')
				}
				n := len(args)
				q = fmt.Appendf(q, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
				args = append(args, importID, i+j, e.Row, e.Column, e.Code)
			}
			if _, err := tx.ExecContext(ctx, string(q), args...); err != nil {
				return fmt.Errorf("store error report: %w", err)
			}
		}
		return nil
	})
}

// FileImportErrors returns a page of orgID's error report of importID, in
// file order, after entry seq after (-1 for the first page).
func (s *Store) FileImportErrors(ctx context.Context, orgID, importID string, after, limit int) ([]FileImportError, int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT e.seq, e.row_number, e.column_key, e.code FROM file_import_errors e
		JOIN file_imports f ON f.import_id = e.import_id
		WHERE e.import_id = $1 AND f.org_id = $2 AND e.seq > $3 ORDER BY e.seq LIMIT $4`, importID, orgID, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("read error report: %w", err)
	}
	defer rows.Close()
	out := []FileImportError{}
	last := after
	for rows.Next() {
		var e FileImportError
		if err := rows.Scan(&last, &e.Row, &e.Column, &e.Code); err != nil {
			return nil, after, fmt.Errorf("read error report: %w", err)
		}
		out = append(out, e)
	}
	return out, last, rows.Err()
}
