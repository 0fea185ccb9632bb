package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/intakehq/intake/internal/importlog"
)

// A purge runs in two steps. Shred destroys the data keys of a batch of
// imports in one transaction that also marks them purged and appends their
// deletion receipts: from its commit on, no copy of their chunks can be
// decrypted and no upload can add to them. DeletePurgedData then removes the
// chunk rows and claim runs once the caller has deleted the blobs. An
// import shredded but not yet emptied (a crash, an unreachable blob store) is
// listed by PendingPurges until it is.

// ShredSelection says which imports Shred takes. Either OrgID (with
// optionally ImportID or ImporterID) for deletion on demand, or Due for the
// retention run over every organization.
type ShredSelection struct {
	OrgID      string
	ImportID   string
	ImporterID string
	// Due selects, as of this time, completed imports whose expires_at has
	// passed, and uploads abandoned before AbandonedBefore.
	Due time.Time
	// AbandonedBefore (with Due) selects the uploads still open or failed
	// that were created before it and have received no chunk since: an end
	// user's upload that stopped. Zero selects none.
	AbandonedBefore time.Time
	// Limit bounds the batch (required).
	Limit int
	// At is the purge time recorded in purged_at.
	At time.Time
	// Finished lists imports shredded earlier whose blobs the caller has
	// deleted since: their rows go in the same transaction (DeletePurgedData).
	Finished []string
}

// Shredded is an import whose data key Shred destroyed.
type Shredded struct {
	ID, OrgID string
	// Chunks and Bytes count the sealed chunks that became unreadable.
	Chunks int
	Bytes  int64
	// WrappedKey is the destroyed wrapped key, given to the receipt builder
	// (which hashes it) and not kept.
	WrappedKey []byte
}

// ReceiptFunc builds the deletion receipt of one shredded import chained to
// prev, the hash of the organization's previous receipt (nil for the first),
// and returns it with its own hash, the chain's new head.
type ReceiptFunc func(im Shredded, prev []byte) (importlog.Purged, []byte, error)

// Shred destroys the wrapped keys and sealed contexts of the imports sel
// picks (at most sel.Limit), marks them purged and appends one receipt per
// import to its organization's chain, all in one transaction. An import is
// shredded once: the status check runs under the row lock, so concurrent
// purges (several replicas, a user's request during a retention run) never
// shred or receipt the same import twice. On PostgreSQL a retention batch
// skips rows another transaction holds (FOR UPDATE SKIP LOCKED), and each
// organization's chain row is locked, in id order, before its receipts are
// appended.
func (s *Store) Shred(ctx context.Context, sel ShredSelection, receipt ReceiptFunc) ([]Shredded, error) {
	if sel.Limit <= 0 || (sel.OrgID == "" && sel.Due.IsZero()) {
		return nil, fmt.Errorf("shred: selection needs a limit and an organization or a due time")
	}
	var out []Shredded
	err := s.inTxRetrying(ctx, func(tx *sql.Tx) error {
		if err := s.deletePurgedData(ctx, tx, sel.Finished); err != nil {
			return err
		}
		var err error
		if out, err = s.shredCandidates(ctx, tx, sel); err != nil {
			return err
		}
		slices.SortStableFunc(out, func(a, b Shredded) int { return cmp.Compare(a.OrgID, b.OrgID) })
		for start := 0; start < len(out); {
			end := start + 1
			for end < len(out) && out[end].OrgID == out[start].OrgID {
				end++
			}
			if err := s.shredOrg(ctx, tx, out[start:end], sel.At, receipt); err != nil {
				return err
			}
			start = end
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inTxRetrying runs fn in a write transaction and runs it again when
// PostgreSQL aborted it to break a deadlock or a serialization conflict
// between concurrent purges: the whole transaction rolled back, so running
// it again is safe, and it selects afresh what is still to shred.
func (s *Store) inTxRetrying(ctx context.Context, fn func(tx *sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.InTx(ctx, fn)
		var pgErr *pgconn.PgError
		if attempt == 5 || !errors.As(err, &pgErr) || (pgErr.Code != "40P01" && pgErr.Code != "40001") {
			return err
		}
	}
}

const shredColumns = `i.id, i.org_id, i.wrapped_key, i.chunks_received, i.bytes_stored`

func (s *Store) shredCandidates(ctx context.Context, tx *sql.Tx, sel ShredSelection) ([]Shredded, error) {
	if sel.OrgID != "" {
		where, args := []string{"i.org_id = $1", "i.status <> 'purged'"}, []any{sel.OrgID}
		if sel.ImportID != "" {
			args = append(args, sel.ImportID)
			where = append(where, fmt.Sprintf("i.id = $%d", len(args)))
		}
		if sel.ImporterID != "" {
			args = append(args, sel.ImporterID)
			where = append(where, fmt.Sprintf("i.importer_id = $%d", len(args)))
		}
		args = append(args, sel.Limit)
		// Rows are locked in id order so that two purges on demand over
		// overlapping sets cannot deadlock; the imports_live index gives
		// that order without sorting the organization's imports. (The due
		// queries below order by expiry alone, also to read their index
		// without a sort: many imports expire at the same microsecond.)
		return s.scanShred(ctx, tx, `SELECT `+shredColumns+` FROM imports i WHERE `+strings.Join(where, " AND ")+
			fmt.Sprintf(` ORDER BY i.id LIMIT $%d`, len(args))+s.lockClause(false), args...)
	}
	due := sel.Due.UnixMicro()
	out, err := s.scanShred(ctx, tx, `SELECT `+shredColumns+` FROM imports i
		WHERE i.expires_at <= $1 AND i.purged_at IS NULL AND i.status <> 'purged'
		ORDER BY i.expires_at LIMIT $2`+s.lockClause(true), due, sel.Limit)
	if err != nil || len(out) == sel.Limit || sel.AbandonedBefore.IsZero() {
		return out, err
	}
	// Open uploads are few (those in flight, and the abandoned ones this
	// purges): the partial index imports_abandoned holds just them, and each
	// is checked for a recent chunk through the chunks' primary key.
	before := sel.AbandonedBefore.UnixMicro()
	more, err := s.scanShred(ctx, tx, `SELECT `+shredColumns+` FROM imports i
		WHERE i.status IN ('uploading', 'failed') AND i.created_at <= $1
		AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.import_id = i.id AND c.created_at > $1)
		ORDER BY i.created_at LIMIT $2`+s.lockClause(true), before, sel.Limit-len(out))
	return append(out, more...), err
}

// lockClause locks the selected import rows on PostgreSQL; SQLite's
// immediate transactions already exclude every other writer.
func (s *Store) lockClause(skipLocked bool) string {
	switch {
	case !s.postgres:
		return ""
	case skipLocked:
		return " FOR UPDATE OF i SKIP LOCKED"
	}
	return " FOR UPDATE OF i"
}

func (s *Store) scanShred(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]Shredded, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("select imports to shred: %w", err)
	}
	defer rows.Close()
	var out []Shredded
	for rows.Next() {
		var im Shredded
		if err := rows.Scan(&im.ID, &im.OrgID, &im.WrappedKey, &im.Chunks, &im.Bytes); err != nil {
			return nil, fmt.Errorf("select imports to shred: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// shredOrg shreds ims, all of one organization, and extends its chain.
func (s *Store) shredOrg(ctx context.Context, tx *sql.Tx, ims []Shredded, at time.Time, receipt ReceiptFunc) error {
	orgID := ims[0].OrgID
	if _, err := tx.ExecContext(ctx, `INSERT INTO receipt_chains (org_id, head, receipts) VALUES ($1, $2, 0)
		ON CONFLICT (org_id) DO NOTHING`, orgID, []byte{}); err != nil {
		return fmt.Errorf("receipt chain of %s: %w", orgID, err)
	}
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE"
	}
	var head []byte
	var count int64
	if err := tx.QueryRowContext(ctx, `SELECT head, receipts FROM receipt_chains WHERE org_id = $1`+lock, orgID).Scan(&head, &count); err != nil {
		return fmt.Errorf("receipt chain of %s: %w", orgID, err)
	}
	events := make([]importlog.Event, len(ims))
	for i, im := range ims {
		var prev []byte
		if len(head) > 0 {
			prev = head
		}
		ev, next, err := receipt(im, prev)
		if err != nil {
			return fmt.Errorf("receipt of import %s: %w", im.ID, err)
		}
		events[i], head = ev, next
		count++
	}
	if err := s.shredRows(ctx, tx, orgID, ims, events, at); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE receipt_chains SET head = $1, receipts = $2 WHERE org_id = $3`, head, count, orgID); err != nil {
		return fmt.Errorf("receipt chain of %s: %w", orgID, err)
	}
	return nil
}

// shredRows destroys the keys of ims in one statement and appends their
// receipts in chain order, with one statement prepared for the whole batch:
// parsing and running statements is what a purge costs most on SQLite,
// whose one writer uploads wait for.
func (s *Store) shredRows(ctx context.Context, tx *sql.Tx, orgID string, ims []Shredded, events []importlog.Event, at time.Time) error {
	ids := make([]any, len(ims))
	for i, im := range ims {
		ids[i] = im.ID
	}
	//nolint:gosec // placeholders only: the ids are bound
	res, err := tx.ExecContext(ctx, `UPDATE imports SET status = 'purged', purged_at = $1, wrapped_key = NULL,
		sealed_context = NULL WHERE status <> 'purged' AND id IN (`+placeholders(2, len(ids))+`)`, append([]any{at.UnixMicro()}, ids...)...)
	if err != nil {
		return fmt.Errorf("shred imports: %w", err)
	}
	// The rows are locked (PostgreSQL) or the writer is ours (SQLite), so
	// they are still unpurged; anything else is a bug and must not commit.
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("shred imports: %w", err)
	}
	if n != int64(len(ims)) {
		return fmt.Errorf("shred imports: %d of %d updated", n, len(ims))
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO import_events (org_id, import_id, kind, at, data) VALUES ($1, $2, $3, $4, $5)`)
	if err != nil {
		return fmt.Errorf("append receipts: %w", err)
	}
	defer ins.Close()
	now := s.nowMicro()
	for i, im := range ims {
		data, err := importlog.Encode(events[i])
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, orgID, im.ID, string(events[i].Kind()), now, string(data)); err != nil {
			return fmt.Errorf("append receipt of %s: %w", im.ID, err)
		}
	}
	return nil
}

// placeholders returns n numbered parameters from $first: "$2, $3, $4".
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", first+i)
	}
	return b.String()
}

// PendingPurge is an import whose key is shredded but whose blobs or chunk
// rows may remain.
type PendingPurge struct{ ID, OrgID string }

// PendingPurges lists up to limit shredded imports whose data is not yet
// deleted, oldest purge first (of orgID only, when not empty).
func (s *Store) PendingPurges(ctx context.Context, orgID string, limit int) ([]PendingPurge, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, org_id FROM imports
		WHERE status = 'purged' AND data_deleted_at IS NULL AND ($1 = '' OR org_id = $1)
		ORDER BY purged_at, id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending purges: %w", err)
	}
	defer rows.Close()
	var out []PendingPurge
	for rows.Next() {
		var p PendingPurge
		if err := rows.Scan(&p.ID, &p.OrgID); err != nil {
			return nil, fmt.Errorf("pending purges: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePurgedData deletes the chunk rows and claim runs of shredded
// imports whose blobs the caller deleted, and marks their purge finished.
// Imports that are not purged are left alone.
func (s *Store) DeletePurgedData(ctx context.Context, importIDs []string) error {
	if len(importIDs) == 0 {
		return nil
	}
	return s.inTxRetrying(ctx, func(tx *sql.Tx) error { return s.deletePurgedData(ctx, tx, importIDs) })
}

func (s *Store) deletePurgedData(ctx context.Context, tx *sql.Tx, importIDs []string) error {
	for batch := range slices.Chunk(importIDs, maxIDsPerStatement) {
		args := make([]any, len(batch), len(batch)+1)
		for i, id := range batch {
			args[i] = id
		}
		in := placeholders(1, len(batch))
		purged := `(SELECT id FROM imports WHERE status = 'purged' AND id IN (` + in + `))`
		for _, q := range []string{
			`DELETE FROM chunks WHERE import_id IN ` + purged,
			`DELETE FROM claim_runs WHERE import_id IN ` + purged,
		} {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("delete purged data: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE imports SET data_deleted_at = $%d WHERE status = 'purged' AND id IN (%s)`, len(batch)+1, in),
			append(args, s.nowMicro())...); err != nil {
			return fmt.Errorf("delete purged data: %w", err)
		}
	}
	return nil
}

// maxIDsPerStatement bounds the ids one statement lists, well under
// SQLite's and PostgreSQL's parameter limits (32,766 and 65,535).
const maxIDsPerStatement = 1000

// Receipt is a stored deletion receipt: the import-log event as written.
type Receipt struct {
	Seq      int64
	ImportID string
	Data     []byte
}

// Receipts returns orgID's deletion receipts in the order they were chained.
func (s *Store) Receipts(ctx context.Context, orgID string) ([]Receipt, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, import_id, data FROM import_events
		WHERE org_id = $1 AND kind = $2 ORDER BY seq`, orgID, string(importlog.KindPurged))
	if err != nil {
		return nil, fmt.Errorf("receipts: %w", err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		var r Receipt
		var data string
		if err := rows.Scan(&r.Seq, &r.ImportID, &data); err != nil {
			return nil, fmt.Errorf("receipts: %w", err)
		}
		r.Data = []byte(data)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReceiptChain returns the head (nil before the first receipt) and length
// of orgID's receipt chain.
func (s *Store) ReceiptChain(ctx context.Context, orgID string) (head []byte, receipts int64, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT head, receipts FROM receipt_chains WHERE org_id = $1`, orgID).Scan(&head, &receipts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("receipt chain: %w", err)
	}
	if len(head) == 0 {
		head = nil
	}
	return head, receipts, nil
}

// PurgedImportIDs lists the ids of orgID's purged imports, which must each
// have exactly one receipt.
func (s *Store) PurgedImportIDs(ctx context.Context, orgID string) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM imports WHERE org_id = $1 AND status = 'purged' ORDER BY id`, orgID)
}

// OrgIDs lists every organization's id (for audits over the whole store).
func (s *Store) OrgIDs(ctx context.Context) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM organizations ORDER BY id`)
}

func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ImporterOrgID returns the organization of an importer, deleted or not,
// for operator commands that name an importer by id alone.
func (s *Store) ImporterOrgID(ctx context.Context, importerID string) (string, error) {
	var orgID string
	if err := s.read.QueryRowContext(ctx, `SELECT org_id FROM importers WHERE id = $1`, importerID).Scan(&orgID); err != nil {
		return "", notFound(err, "importer")
	}
	return orgID, nil
}

// sqliteAutoCheckpoint is SQLite's default wal_autocheckpoint (pages), which
// the store keeps.
const sqliteAutoCheckpoint = 1000

// PurgeCheckpoints hands SQLite's WAL checkpoints to a purge. Automatic
// checkpoints run inside whichever commit crosses 1,000 WAL pages (an
// upload's as often as the purge's) and write back the same index pages
// again and again during a purge; instead, the purge calls checkpoint every
// few batches, which copies the WAL on a reader connection and holds the
// single writer (and the uploads waiting for it) only for the last frames
// (see checkpointBeside).
// restore turns automatic checkpoints back on. Both are no-ops on
// PostgreSQL.
func (s *Store) PurgeCheckpoints(ctx context.Context) (checkpoint func(context.Context) error, restore func(), err error) {
	if s.postgres {
		return func(context.Context) error { return nil }, func() {}, nil
	}
	if _, err := s.write.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return nil, nil, fmt.Errorf("defer checkpoints: %w", err)
	}
	checkpoint = func(ctx context.Context) error { return s.checkpointBeside(ctx, "PASSIVE") }
	restore = func() {
		// Best effort: a failure leaves checkpoints to the purge's next run
		// and to SQLite's own at close; nothing is lost.
		_, _ = s.write.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", sqliteAutoCheckpoint))
	}
	return checkpoint, restore, nil
}
