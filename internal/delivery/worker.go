package delivery

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/intakehq/intake/internal/deliver"
	"github.com/intakehq/intake/internal/deliver/job"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// The service is what the delivery worker reads and records through.
var _ job.Store = (*Service)(nil)

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
func (s *Service) Delivery(ctx context.Context, id string) (job.Delivery, error) {
	d, err := s.st.DeliveryByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return job.Delivery{}, fmt.Errorf("%w: %w", job.ErrNotFound, err)
	}
	if err != nil {
		return job.Delivery{}, err
	}
	jd := job.Delivery{ID: d.ID, BatchSize: d.BatchSize, Parallel: d.Parallel, Progress: progress(d)}
	if jd.Progress.State != job.Pending {
		return jd, nil
	}
	im, err := s.st.ImportByID(ctx, d.ImportID)
	if err != nil {
		return job.Delivery{}, fmt.Errorf("%w: %w", job.ErrNotFound, err)
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return s.stop(ctx, jd, reasonPurged)
	}
	dest, err := s.st.DestinationByID(ctx, d.DestinationID)
	if errors.Is(err, store.ErrNotFound) {
		return s.stop(ctx, jd, reasonDestinationDeleted)
	}
	if err != nil {
		return job.Delivery{}, err
	}
	importer, err := s.st.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return s.stop(ctx, jd, reasonImporterDeleted)
	}
	if err != nil {
		return job.Delivery{}, err
	}
	st, err := s.open(ctx, dest)
	if err != nil {
		return job.Delivery{}, err
	}
	if jd.Destination, err = jobDestination(dest, st); err != nil {
		return job.Delivery{}, err
	}
	meta, err := s.rows.Metadata(ctx, im)
	if err != nil {
		return job.Delivery{}, fmt.Errorf("delivery %s: %w", id, err)
	}
	jd.Import = deliver.Import{ID: im.ID, Importer: importer.Key, Columns: im.RowColumns, Rows: int(im.RowsReceived), Metadata: meta}
	return jd, nil
}

// stop marks a delivery failed for reason and returns it as failed.
func (s *Service) stop(ctx context.Context, jd job.Delivery, reason string) (job.Delivery, error) {
	jd.Progress.State = job.Failed
	a := deliver.Attempt{Message: jd.ID, Batch: -1, Number: jd.Progress.Failures + 1, Started: s.now(), Outcome: deliver.Invalid, Error: reason}
	if err := s.Record(ctx, jd.ID, a, jd.Progress); err != nil {
		return job.Delivery{}, err
	}
	s.log.WarnContext(ctx, "delivery stopped", "delivery_id", jd.ID, "reason", reason)
	return jd, nil
}

var stateOf = map[job.State]string{
	job.Pending: store.DeliveryPending, job.Delivered: store.DeliveryDelivered,
	job.Failed: store.DeliveryFailed, job.Disabled: store.DeliveryDisabled,
}

func progress(d store.Delivery) job.Progress {
	p := job.Progress{Acked: d.Acked, Failures: d.Failures}
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

func storeAttempt(deliveryID string, a deliver.Attempt) store.Attempt {
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
func (s *Service) Record(ctx context.Context, deliveryID string, a deliver.Attempt, p job.Progress) error {
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
