package delivery

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// The service is what the delivery worker reads and records through.
var _ Store = (*Service)(nil)

// Batches yields the import's stored rows, decrypted chunk by chunk,
// holding no database connection between batches.
func (s *Service) Batches(ctx context.Context, importID string, size, from int) iter.Seq2[rows.Batch, error] {
	return s.rows.Batches(ctx, importID, size, from)
}

// Reasons a delivery stops for good without sending, as the delivery log
// records them.
const (
	reasonPurged             = "the import's rows were purged before they were delivered"
	reasonDestinationDeleted = "the destination was deleted"
	reasonImporterDeleted    = "the importer was deleted"
)

// Delivery loads a delivery for the worker. A delivery whose import was
// purged, or whose destination or importer was deleted, cannot go on: it
// is marked failed with the reason in its log, and returned as failed, so
// the worker ends the job without a retry.
func (s *Service) Delivery(ctx context.Context, id string) (Job, error) {
	d, err := s.st.DeliveryByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Job{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err != nil {
		return Job{}, err
	}
	jd := Job{ID: d.ID, BatchSize: d.BatchSize, Parallel: d.Parallel, Progress: progress(d)}
	if jd.Progress.State != Pending {
		return jd, nil
	}
	im, err := s.st.ImportByID(ctx, d.ImportID)
	if err != nil {
		return Job{}, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return s.stop(ctx, jd, reasonPurged)
	}
	dest, err := s.st.DestinationByID(ctx, d.DestinationID)
	if errors.Is(err, store.ErrNotFound) {
		return s.stop(ctx, jd, reasonDestinationDeleted)
	}
	if err != nil {
		return Job{}, err
	}
	importer, err := s.st.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return s.stop(ctx, jd, reasonImporterDeleted)
	}
	if err != nil {
		return Job{}, err
	}
	st, err := s.open(ctx, dest)
	if err != nil {
		return Job{}, err
	}
	if jd.Destination, err = jobDestination(dest, st); err != nil {
		return Job{}, err
	}
	meta, err := s.rows.Metadata(ctx, im)
	if err != nil {
		return Job{}, fmt.Errorf("delivery %s: %w", id, err)
	}
	jd.Import = destination.Import{ID: im.ID, Importer: importer.Key, Columns: im.RowColumns, Rows: int(im.RowsReceived), Metadata: meta,
		Encrypted: len(im.Recipients) > 0}
	return jd, nil
}

// stop marks a delivery failed for reason and returns it as failed.
func (s *Service) stop(ctx context.Context, jd Job, reason string) (Job, error) {
	jd.Progress.State = Failed
	a := destination.Attempt{Message: jd.ID, Batch: -1, Number: jd.Progress.Failures + 1, Started: s.now(), Outcome: destination.Invalid, Error: reason}
	if err := s.Record(ctx, jd.ID, a, jd.Progress); err != nil {
		return Job{}, err
	}
	s.log.WarnContext(ctx, "delivery stopped", "delivery_id", jd.ID, "reason", reason)
	return jd, nil
}

var stateOf = map[State]string{
	Pending: store.DeliveryPending, Delivered: store.DeliveryDelivered,
	Failed: store.DeliveryFailed, Disabled: store.DeliveryDisabled,
}

func progress(d store.Delivery) Progress {
	p := Progress{Acked: d.Acked, Failures: d.Failures}
	for js, ss := range stateOf {
		if ss == d.State {
			p.State = js
		}
	}
	if d.NextRetry != nil {
		p.NextRetry = *d.NextRetry
	}
	return p
}

func storeAttempt(deliveryID string, a destination.Attempt) store.Attempt {
	out := store.Attempt{DeliveryID: deliveryID, Message: a.Message, Batch: a.Batch, Number: a.Number, StartedAt: a.Started,
		Latency: a.Latency, Status: a.Status, Outcome: string(a.Outcome), Error: a.Error, RetryAfter: a.RetryAfter}
	if !a.NextRetry.IsZero() {
		t := a.NextRetry
		out.NextRetry = &t
	}
	return out
}

// Record appends the attempt to the delivery log and saves the progress,
// in one transaction.
func (s *Service) Record(ctx context.Context, deliveryID string, a destination.Attempt, p Progress) error {
	var next *time.Time
	if !p.NextRetry.IsZero() {
		next = &p.NextRetry
	}
	return s.st.RecordAttempt(ctx, storeAttempt(deliveryID, a), stateOf[p.State], p.Acked, p.Failures, next)
}

// DisableDestination marks a destination disabled after a 410 Gone.
func (s *Service) DisableDestination(ctx context.Context, destinationID string) error {
	if err := s.st.DisableDestination(ctx, destinationID); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "destination disabled: the receiver answered 410 Gone", "destination_id", destinationID)
	return nil
}
