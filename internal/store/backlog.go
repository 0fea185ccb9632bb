package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Backlog is the work waiting across every organization, for the metrics
// an operator alerts on: counts and an age, never what the work holds.
type Backlog struct {
	// DeliveriesPending are deliveries not yet delivered, failed or
	// disabled; DeliveriesRetrying those of them that failed at least once
	// and wait for a retry (the retry queue).
	DeliveriesPending, DeliveriesRetrying int64
	// OldestPending is when the oldest pending delivery was created (zero
	// when none is pending): the delivery lag.
	OldestPending time.Time
	// PurgeDue are imports past their retention and not yet shredded;
	// PurgeDeleting are shredded imports whose blobs are still being deleted.
	PurgeDue, PurgeDeleting int64
	// WatchFailed are watched files given up on (FailWatchClaim) and not
	// retried since.
	WatchFailed int64
}

// pendingBacklog counts the pending deliveries from the partial index
// deliveries_pending alone (migration 00019), so its cost is the backlog's
// size, not the table's. The state is a literal, not a parameter: a
// planner can only use a partial index whose WHERE it sees the query imply.
const pendingBacklog = `SELECT COUNT(*), COALESCE(SUM(CASE WHEN failures > 0 THEN 1 ELSE 0 END), 0), MIN(created_at)
	FROM deliveries WHERE state = '` + DeliveryPending + `'`

// failedWatchClaims counts the failed watch claims from the partial index
// watch_claims_failed.
const failedWatchClaims = `SELECT COUNT(*) FROM watch_claims WHERE state = '` + ClaimFailed + `'`

// Backlog counts the waiting work, each figure from an index that holds
// only the waiting rows, so a scrape costs the backlog's size, not the
// tables'.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	var oldest sql.NullInt64
	if err := s.read.QueryRowContext(ctx, pendingBacklog).Scan(&b.DeliveriesPending, &b.DeliveriesRetrying, &oldest); err != nil {
		return b, fmt.Errorf("backlog of deliveries: %w", err)
	}
	if oldest.Valid {
		b.OldestPending = time.UnixMicro(oldest.Int64)
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM imports
		WHERE expires_at <= $1 AND purged_at IS NULL AND status <> 'purged'`, s.nowMicro()).Scan(&b.PurgeDue); err != nil {
		return b, fmt.Errorf("backlog of purges: %w", err)
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM imports
		WHERE status = 'purged' AND data_deleted_at IS NULL`).Scan(&b.PurgeDeleting); err != nil {
		return b, fmt.Errorf("backlog of purges: %w", err)
	}
	if err := s.read.QueryRowContext(ctx, failedWatchClaims).Scan(&b.WatchFailed); err != nil {
		return b, fmt.Errorf("backlog of watched files: %w", err)
	}
	return b, nil
}
