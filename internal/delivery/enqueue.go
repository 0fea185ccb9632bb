package delivery

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// Enqueue creates a delivery for every destination of a completed import
// and enqueues its job, inside tx, the transaction that completes the
// import (it is ingest's OnComplete hook): an import is completed with its
// deliveries, or not at all.
//
// In bypass mode every chunk was already relayed as batch n under the
// delivery's id (see Relay); the delivery then starts with those batches
// acknowledged, so its job sends only the final import.completed event.
func (s *Service) Enqueue(ctx context.Context, tx *sql.Tx, im store.Import) error {
	dests, err := s.st.DestinationsTx(ctx, tx, im.OrgID, im.ImporterID)
	if err != nil || len(dests) == 0 {
		return err
	}
	importer, err := s.st.Importer(ctx, im.OrgID, im.ImporterID)
	if err != nil {
		return err
	}
	for _, dest := range dests {
		d := store.Delivery{ID: store.NewID("dlv_"), OrgID: im.OrgID, ImportID: im.ID, DestinationID: dest.ID,
			BatchSize: dest.BatchSize, Parallel: dest.Parallel}
		if importer.Mode == store.ModeE2E && dest.Kind == store.KindPostgres {
			// Refused at creation (the server has no rows to insert).
			s.log.WarnContext(ctx, "e2e import not delivered to a PostgreSQL destination", "import_id", im.ID, "destination_id", dest.ID)
			continue
		}
		if importer.Mode == store.ModeBypass {
			if dest.Kind != store.KindWebhook {
				continue // refused at creation; its rows were never relayed
			}
			d.ID, d.Acked = bypassDeliveryID(im.ID, dest.ID), im.ChunksReceived
		}
		if err := s.insert(ctx, tx, d); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) insert(ctx context.Context, tx *sql.Tx, d store.Delivery) error {
	if _, err := s.st.InsertDeliveryTx(ctx, tx, d); err != nil {
		return err
	}
	if _, err := s.queue.InsertTx(ctx, tx, Args{DeliveryID: d.ID}); err != nil {
		return fmt.Errorf("enqueue delivery %s: %w", d.ID, err)
	}
	return nil
}

// bypassDeliveryID is the delivery id of a bypass import to a destination.
// It is known before the import completes, so relayed batches carry the
// webhook-ids (msg_{delivery}_{chunk}) of the delivery that later sends
// import.completed, and a retried chunk keeps its id.
func bypassDeliveryID(importID, destinationID string) string {
	return "dlv_" + strings.TrimPrefix(importID, "imt_") + "_" + strings.TrimPrefix(destinationID, "dst_")
}

// Replay delivers a completed, stored import to one of its importer's
// destinations again, as a new delivery with new webhook-ids.
func (s *Service) Replay(ctx context.Context, orgID, importID, destinationID string) (Delivery, error) {
	im, err := s.st.Import(ctx, orgID, importID)
	if err != nil {
		return Delivery{}, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return Delivery{}, fmt.Errorf("import %s: %w", importID, rows.ErrUnreadable)
	}
	if im.Status != store.StatusCompleted {
		return Delivery{}, fmt.Errorf("import %s is %s: %w", importID, im.Status, ErrNotCompleted)
	}
	importer, err := s.st.Importer(ctx, orgID, im.ImporterID)
	if err != nil {
		return Delivery{}, err
	}
	if importer.Mode != store.ModeStored {
		return Delivery{}, fmt.Errorf("import %s (%s mode): %w", importID, importer.Mode, rows.ErrUnreadable)
	}
	dest, err := s.st.Destination(ctx, orgID, im.ImporterID, destinationID)
	if err != nil {
		return Delivery{}, err
	}
	d := store.Delivery{ID: store.NewID("dlv_"), OrgID: orgID, ImportID: im.ID, DestinationID: dest.ID,
		BatchSize: dest.BatchSize, Parallel: dest.Parallel, State: store.DeliveryPending}
	if err := s.st.InTx(ctx, func(tx *sql.Tx) error { return s.insert(ctx, tx, d) }); err != nil {
		return Delivery{}, err
	}
	s.log.InfoContext(ctx, "delivery replayed", "delivery_id", d.ID, "import_id", im.ID, "destination_id", dest.ID)
	return Delivery{ID: d.ID, DestinationID: d.DestinationID, State: d.State, BatchSize: d.BatchSize, Attempts: []Attempt{}}, nil
}

// Delivery is a delivery and its log as the API shows them.
type Delivery struct {
	ID            string     `json:"id"`
	DestinationID string     `json:"destination_id"`
	State         string     `json:"state"`
	BatchSize     int        `json:"batch_size"`
	AckedBatches  int        `json:"acked_batches"`
	Failures      int        `json:"failures"`
	NextRetry     *time.Time `json:"next_retry,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Attempts      []Attempt  `json:"attempts"`
}

// Deliveries returns the deliveries of an import of orgID with their logs.
func (s *Service) Deliveries(ctx context.Context, orgID, importID string) ([]Delivery, error) {
	if _, err := s.st.Import(ctx, orgID, importID); err != nil {
		return nil, err
	}
	ds, err := s.st.Deliveries(ctx, orgID, importID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	logs, err := s.st.Attempts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(ds))
	for i, d := range ds {
		out[i] = Delivery{ID: d.ID, DestinationID: d.DestinationID, State: d.State, BatchSize: d.BatchSize,
			AckedBatches: d.Acked, Failures: d.Failures, NextRetry: d.NextRetry, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
			Attempts: make([]Attempt, 0, len(logs[d.ID]))}
		for _, a := range logs[d.ID] {
			out[i].Attempts = append(out[i].Attempts, attemptView(a))
		}
	}
	return out, nil
}
