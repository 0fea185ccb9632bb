package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
)

// ErrNoDestination refuses a bypass chunk when the importer has no
// enabled destination: its rows would be neither stored nor delivered.
var ErrNoDestination = errors.New("no enabled destination")

// Relay sends one chunk of a bypass-storage import to every enabled webhook
// destination of its importer, as batch n of each delivery, and returns an
// error unless every one accepted it (ingest's Relay hook): the widget is
// told the chunk failed and sends it again, under the same webhook-ids.
// Nothing of the rows is stored.
func (s *Service) Relay(ctx context.Context, importer store.Importer, importID string, n int, firstRow int64, columns []string, cells [][]*string) error {
	dests, err := s.st.Destinations(ctx, importer.OrgID, importer.ID)
	if err != nil {
		return err
	}
	im, err := s.st.ImportByID(ctx, importID)
	if err != nil {
		return err
	}
	meta, err := s.rows.Metadata(ctx, im)
	if err != nil {
		return err
	}
	enc := webhook.NewEncoder(destination.Import{ID: importID, Importer: importer.Key, Columns: columns, Metadata: meta})
	batch := rows.Batch{Index: n, FirstRow: int(firstRow), Rows: cells}
	sent := 0
	for _, dest := range dests {
		if dest.DisabledAt != nil {
			continue
		}
		if dest.Kind != store.KindWebhook {
			return fmt.Errorf("destination %s: %w", dest.ID, errBypassKind)
		}
		st, err := s.open(ctx, dest)
		if err != nil {
			return err
		}
		target, err := s.sender.Target(st.Webhook)
		if err != nil {
			return fmt.Errorf("destination %s: %w", dest.ID, err)
		}
		a, err := target.SendBatch(ctx, enc, bypassDeliveryID(importID, dest.ID), batch)
		s.log.LogAttrs(ctx, levelOf(a.Outcome), "bypass relay attempt", slog.String("import_id", importID),
			slog.String("destination_id", dest.ID), slog.Int("chunk", n), slog.String("outcome", string(a.Outcome)),
			slog.Int("status", a.Status), slog.Duration("latency", a.Latency))
		if err != nil {
			return fmt.Errorf("destination %s refused chunk %d: %w", dest.ID, n, err)
		}
		sent++
	}
	if sent == 0 {
		return fmt.Errorf("importer %s: %w", importer.ID, ErrNoDestination)
	}
	return nil
}
