package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Delivery states as stored; "pending" is a delivery still running or
// waiting for a retry.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryDisabled  = "disabled"
)

// Delivery is one import going to one destination, with the progress a
// resumed delivery job starts from.
type Delivery struct {
	ID            string
	OrgID         string
	ImportID      string
	DestinationID string
	// BatchSize and Parallel were copied from the destination when the
	// delivery was created; progress counts batches, so they never change.
	BatchSize int
	Parallel  int
	State     string
	// Acked counts acknowledged batches.
	Acked int
	// Failures counts failed attempts of the message now due.
	Failures  int
	NextRetry *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Attempt is one line of the delivery log: what was tried, how the
// destination answered and when the next try is due. It never holds a
// payload or a response body.
type Attempt struct {
	DeliveryID string
	Message    string
	Batch      int
	Number     int
	StartedAt  time.Time
	Latency    time.Duration
	Status     int
	Outcome    string
	Error      string
	RetryAfter time.Duration
	NextRetry  *time.Time
}

const deliveryColumns = `id, org_id, import_id, destination_id, batch_size, parallel, state, acked, failures, next_retry, created_at, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next sql.NullInt64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.OrgID, &d.ImportID, &d.DestinationID, &d.BatchSize, &d.Parallel, &d.State,
		&d.Acked, &d.Failures, &next, &created, &updated); err != nil {
		return d, err
	}
	d.NextRetry = fromMicro(next)
	d.CreatedAt, d.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return d, nil
}

func microOrNil(t *time.Time) *int64 {
	if t == nil || t.IsZero() {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

// InsertDeliveryTx records a new delivery inside tx, the transaction that
// also enqueues its job (the completion of the import, or a replay).
func (s *Store) InsertDeliveryTx(ctx context.Context, tx *sql.Tx, d Delivery) (Delivery, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	d.CreatedAt, d.UpdatedAt = now, now
	if d.State == "" {
		d.State = DeliveryPending
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
		d.ID, d.OrgID, d.ImportID, d.DestinationID, d.BatchSize, d.Parallel, d.State, d.Acked, d.Failures,
		microOrNil(d.NextRetry), now.UnixMicro()); err != nil {
		return d, fmt.Errorf("insert delivery: %w", err)
	}
	return d, nil
}

// DeliveryByID returns a delivery by id alone, for the delivery worker.
func (s *Store) DeliveryByID(ctx context.Context, id string) (Delivery, error) {
	d, err := scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	if err != nil {
		return d, notFound(err, "delivery")
	}
	return d, nil
}

// Deliveries lists the deliveries of an import of orgID, oldest first.
func (s *Store) Deliveries(ctx context.Context, orgID, importID string) ([]Delivery, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE org_id = $1 AND import_id = $2 ORDER BY created_at, id`, orgID, importID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RecordAttempt appends a to the delivery log and saves the delivery's new
// progress in one transaction: a batch counts as acknowledged only once
// both are stored.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt, state string, acked, failures int, nextRetry *time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, message, batch, number, started_at,
			latency_us, status, outcome, error, retry_after_ms, next_retry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			a.DeliveryID, a.Message, a.Batch, a.Number, a.StartedAt.UnixMicro(), a.Latency.Microseconds(), a.Status,
			a.Outcome, a.Error, a.RetryAfter.Milliseconds(), microOrNil(a.NextRetry)); err != nil {
			return fmt.Errorf("record attempt of delivery %s: %w", a.DeliveryID, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = $1, acked = $2, failures = $3, next_retry = $4,
			updated_at = $5 WHERE id = $6`, state, acked, failures, microOrNil(nextRetry), s.nowMicro(), a.DeliveryID)
		return affectedOne(res, err, "delivery")
	})
}

// Attempts returns the delivery log of the given deliveries, by delivery
// id, each in the order the attempts were made.
func (s *Store) Attempts(ctx context.Context, deliveryIDs []string) (map[string][]Attempt, error) {
	out := map[string][]Attempt{}
	if len(deliveryIDs) == 0 {
		return out, nil
	}
	marks := make([]string, len(deliveryIDs))
	args := make([]any, len(deliveryIDs))
	for i, id := range deliveryIDs {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	//nolint:gosec // placeholders only: the ids are bound
	rows, err := s.read.QueryContext(ctx, `SELECT delivery_id, message, batch, number, started_at, latency_us, status,
		outcome, error, retry_after_ms, next_retry FROM delivery_attempts
		WHERE delivery_id IN (`+strings.Join(marks, ",")+`) ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Attempt
		var started, latency, retryAfter int64
		var next sql.NullInt64
		if err := rows.Scan(&a.DeliveryID, &a.Message, &a.Batch, &a.Number, &started, &latency, &a.Status,
			&a.Outcome, &a.Error, &retryAfter, &next); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		a.StartedAt = time.UnixMicro(started).UTC()
		a.Latency = time.Duration(latency) * time.Microsecond
		a.RetryAfter = time.Duration(retryAfter) * time.Millisecond
		a.NextRetry = fromMicro(next)
		out[a.DeliveryID] = append(out[a.DeliveryID], a)
	}
	return out, rows.Err()
}
