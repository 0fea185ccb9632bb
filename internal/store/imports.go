package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Import statuses.
const (
	StatusUploading = "uploading"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusPurged    = "purged"
)

// ErrNotUploading means the import no longer takes chunks (completed, failed
// or purged).
var ErrNotUploading = errors.New("import is not accepting uploads")

// Import is one end user's upload of one file through one importer. It holds
// counts and sealed material only.
type Import struct {
	ID         string   `json:"id"`
	OrgID      string   `json:"-"`
	ImporterID string   `json:"importer_id"`
	Status     string   `json:"status"`
	Columns    []string `json:"columns"`
	// RowColumns are the template keys of the stored rows, in order: the
	// template at upload time.
	RowColumns     []string   `json:"row_columns"`
	SourceFormat   string     `json:"source_format"`
	SourceBytes    int64      `json:"source_bytes"`
	ExpectedRows   int64      `json:"expected_rows"`
	RowsReceived   int64      `json:"rows"`
	RowsWithErrors int64      `json:"rows_with_errors"`
	ChunksReceived int        `json:"chunks"`
	BytesStored    int64      `json:"bytes_stored"`
	CreatedAt      time.Time  `json:"created_at"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	PurgedAt       *time.Time `json:"purged_at,omitempty"`

	// TokenHash and TokenExpiresAt authenticate the upload token.
	TokenHash      []byte    `json:"-"`
	TokenExpiresAt time.Time `json:"-"`
	// WrappedKey is the data key wrapped by the master key; nil once shredded.
	WrappedKey []byte `json:"-"`
	// SealedContext is the host-supplied user and metadata, sealed with the
	// data key so that it is shredded with the rows.
	SealedContext []byte `json:"-"`
	// Recipients are the age public keys an e2e import's rows were
	// encrypted to (the importer's at creation); empty in other modes.
	Recipients []string `json:"recipients,omitempty"`
}

const importColumns = `id, org_id, importer_id, status, columns, source_format, source_bytes, expected_rows,
	rows_received, rows_with_errors, chunks_received, bytes_stored, created_at, completed_at, expires_at, purged_at,
	token_hash, token_expires_at, wrapped_key, sealed_context, row_columns, recipients`

func scanImport(row interface{ Scan(...any) error }) (Import, error) {
	var im Import
	var cols, rowCols, recipients string
	var created, tokenExp int64
	var completed, expires, purged sql.NullInt64
	err := row.Scan(&im.ID, &im.OrgID, &im.ImporterID, &im.Status, &cols, &im.SourceFormat, &im.SourceBytes,
		&im.ExpectedRows, &im.RowsReceived, &im.RowsWithErrors, &im.ChunksReceived, &im.BytesStored, &created,
		&completed, &expires, &purged, &im.TokenHash, &tokenExp, &im.WrappedKey, &im.SealedContext, &rowCols, &recipients)
	if err != nil {
		return im, err
	}
	if err := json.Unmarshal([]byte(cols), &im.Columns); err != nil {
		return im, fmt.Errorf("import %s columns: %w", im.ID, err)
	}
	if err := json.Unmarshal([]byte(rowCols), &im.RowColumns); err != nil {
		return im, fmt.Errorf("import %s row columns: %w", im.ID, err)
	}
	if err := json.Unmarshal([]byte(recipients), &im.Recipients); err != nil {
		return im, fmt.Errorf("import %s recipients: %w", im.ID, err)
	}
	im.CreatedAt, im.TokenExpiresAt = time.UnixMicro(created).UTC(), time.UnixMicro(tokenExp).UTC()
	im.CompletedAt, im.ExpiresAt, im.PurgedAt = fromMicro(completed), fromMicro(expires), fromMicro(purged)
	return im, nil
}

// CreateImport inserts a new import in status uploading with its first
// import-log event, in one transaction. im.ID must be set by the caller (the
// data key's sealing binds to it).
func (s *Store) CreateImport(ctx context.Context, im Import, created Event) error {
	cols, _ := json.Marshal(im.Columns)
	rowCols, _ := json.Marshal(nonNil(im.RowColumns))
	recipients, _ := json.Marshal(nonNil(im.Recipients))
	return s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO imports (id, org_id, importer_id, status, columns, source_format,
			source_bytes, expected_rows, token_hash, token_expires_at, wrapped_key, sealed_context, created_at, row_columns, recipients)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			im.ID, im.OrgID, im.ImporterID, im.Status, string(cols), im.SourceFormat, im.SourceBytes, im.ExpectedRows,
			im.TokenHash, im.TokenExpiresAt.UnixMicro(), im.WrappedKey, im.SealedContext, im.CreatedAt.UnixMicro(), string(rowCols),
			string(recipients))
		if err != nil {
			return fmt.Errorf("insert import: %w", err)
		}
		return s.appendEvent(ctx, tx, im.OrgID, im.ID, created)
	})
}

// ImportByID returns an import without an organization scope. Only the upload
// API uses it, and only after checking the upload token against TokenHash.
func (s *Store) ImportByID(ctx context.Context, id string) (Import, error) {
	im, err := scanImport(s.read.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`, id))
	if err != nil {
		return im, notFound(err, "import")
	}
	return im, nil
}

// Import returns one import of orgID.
func (s *Store) Import(ctx context.Context, orgID, id string) (Import, error) {
	im, err := scanImport(s.read.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports
		WHERE id = $1 AND org_id = $2`, id, orgID))
	if err != nil {
		return im, notFound(err, "import")
	}
	return im, nil
}

// ImportFilter selects a page of imports.
type ImportFilter struct {
	ImporterID string
	Status     string
	// Before is a cursor: only imports created strictly before it (by
	// created_at, id) are listed.
	BeforeCreated int64
	BeforeID      string
	Limit         int
}

// Imports lists orgID's imports, newest first, one page at a time.
func (s *Store) Imports(ctx context.Context, orgID string, f ImportFilter) ([]Import, error) {
	where := []string{"org_id = $1"}
	args := []any{orgID}
	if f.ImporterID != "" {
		args = append(args, f.ImporterID)
		where = append(where, fmt.Sprintf("importer_id = $%d", len(args)))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("status = $%d", len(args)))
	}
	if f.BeforeID != "" {
		args = append(args, f.BeforeCreated, f.BeforeID)
		where = append(where, fmt.Sprintf("(created_at < $%d OR (created_at = $%d AND id < $%d))", len(args)-1, len(args)-1, len(args)))
	}
	args = append(args, f.Limit)
	//nolint:gosec // fixed clauses and placeholders: the values are bound
	rows, err := s.read.QueryContext(ctx, `SELECT `+importColumns+` FROM imports WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	out := []Import{}
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("list imports: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}
