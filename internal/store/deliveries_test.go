package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/importlog"
)

// TestDestinationsAndDeliveries covers destinations (scoping by
// organization and importer, update, disable, delete that drops the sealed
// settings), deliveries inserted by the completion hook in the completing
// transaction (and rolled back with it), and the delivery log.
func TestDestinationsAndDeliveries(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, _ := s.CreateOrgWithOwner(ctx, "a-"+name, "a-"+name+"@example.com", "h", "ik_a", []byte("ka-"+name))
			b, _ := s.CreateOrgWithOwner(ctx, "b-"+name, "b-"+name+"@example.com", "h", "ik_b", []byte("kb-"+name))
			ipr, err := s.CreateImporter(ctx, a.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			d := Destination{ID: NewID("dst_"), OrgID: a.ID, ImporterID: ipr.ID, Kind: KindWebhook, BatchSize: 10, Parallel: 1, SealedSettings: []byte("sealed")}
			if _, err := s.CreateDestination(ctx, Destination{ID: NewID("dst_"), OrgID: b.ID, ImporterID: ipr.ID, Kind: KindWebhook, BatchSize: 1, Parallel: 1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("destination on another org's importer: %v", err)
			}
			if d, err = s.CreateDestination(ctx, d); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Destination(ctx, b.ID, ipr.ID, d.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b reads org a's destination: %v", err)
			}
			if ds, _ := s.Destinations(ctx, b.ID, ipr.ID); len(ds) != 0 {
				t.Fatalf("org b lists %d destinations", len(ds))
			}
			d.BatchSize = 20
			if _, err := s.UpdateDestination(ctx, Destination{ID: d.ID, OrgID: b.ID, ImporterID: ipr.ID, BatchSize: 1, Parallel: 1}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b updates org a's destination: %v", err)
			}
			if _, err := s.UpdateDestination(ctx, d); err != nil {
				t.Fatal(err)
			}
			if err := s.DisableDestination(ctx, d.ID); err != nil {
				t.Fatal(err)
			}
			got, err := s.DestinationByID(ctx, d.ID)
			if err != nil || got.BatchSize != 20 || got.DisabledAt == nil || string(got.SealedSettings) != "sealed" {
				t.Fatalf("destination %+v, %v", got, err)
			}

			im := Import{ID: NewID("imt_"), OrgID: a.ID, ImporterID: ipr.ID, Status: StatusUploading, Columns: []string{"a"},
				SourceFormat: "csv", ExpectedRows: 0, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now()}
			if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: ipr.ID}); err != nil {
				t.Fatal(err)
			}
			dl := Delivery{ID: NewID("dlv_"), OrgID: a.ID, ImportID: im.ID, DestinationID: d.ID, BatchSize: 20, Parallel: 1}
			insert := func(ctx context.Context, tx *sql.Tx, done Import) error {
				if done.Status != StatusCompleted {
					t.Errorf("hook sees status %q", done.Status)
				}
				ds, err := s.DestinationsTx(ctx, tx, done.OrgID, done.ImporterID)
				if err != nil || len(ds) != 1 {
					t.Errorf("destinations in the completing transaction: %d, %v", len(ds), err)
				}
				_, err = s.InsertDeliveryTx(ctx, tx, dl)
				return err
			}
			boom := errors.New("enqueue failed")
			if _, err := s.CompleteImport(ctx, im.ID, 0, 0, 0, 30, nil, insert, func(context.Context, *sql.Tx, Import) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("complete with a failing hook: %v", err)
			}
			if got, _ := s.ImportByID(ctx, im.ID); got.Status != StatusUploading {
				t.Fatalf("import %s after a failed hook, want uploading", got.Status)
			}
			if ds, _ := s.Deliveries(ctx, a.ID, im.ID); len(ds) != 0 {
				t.Fatalf("%d deliveries survived the rollback", len(ds))
			}
			if _, err := s.CompleteImport(ctx, im.ID, 0, 0, 0, 30, nil, insert); err != nil {
				t.Fatal(err)
			}
			// A retried completion does not run the hooks again.
			if _, err := s.CompleteImport(ctx, im.ID, 0, 0, 0, 30, nil, func(context.Context, *sql.Tx, Import) error { return boom }); err != nil {
				t.Fatalf("retried completion: %v", err)
			}
			if ds, _ := s.Deliveries(ctx, b.ID, im.ID); len(ds) != 0 {
				t.Fatalf("org b lists %d deliveries", len(ds))
			}

			next := s.now().Add(time.Minute).UTC().Truncate(time.Microsecond)
			attempts := []Attempt{
				{DeliveryID: dl.ID, Message: "msg_1", Batch: 0, Number: 1, StartedAt: s.now(), Latency: 1500 * time.Microsecond, Status: 503,
					Outcome: "retry", Error: "503 Service Unavailable", RetryAfter: 2 * time.Second, NextRetry: &next},
				{DeliveryID: dl.ID, Message: "msg_1", Batch: 0, Number: 2, StartedAt: s.now(), Latency: time.Millisecond, Status: 204, Outcome: "delivered"},
			}
			if err := s.RecordAttempt(ctx, attempts[0], DeliveryPending, 0, 1, &next); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordAttempt(ctx, attempts[1], DeliveryDelivered, 1, 0, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordAttempt(ctx, Attempt{DeliveryID: "dlv_missing", StartedAt: s.now()}, DeliveryPending, 0, 0, nil); err == nil {
				t.Fatal("attempt of an unknown delivery recorded")
			}
			ds, err := s.Deliveries(ctx, a.ID, im.ID)
			if err != nil || len(ds) != 1 || ds[0].State != DeliveryDelivered || ds[0].Acked != 1 || ds[0].NextRetry != nil {
				t.Fatalf("deliveries %+v, %v", ds, err)
			}
			logs, err := s.Attempts(ctx, []string{dl.ID})
			if err != nil || len(logs[dl.ID]) != 2 {
				t.Fatalf("attempts %+v, %v", logs, err)
			}
			if first := logs[dl.ID][0]; first.Status != 503 || first.RetryAfter != 2*time.Second || first.Latency != 1500*time.Microsecond ||
				first.NextRetry == nil || !first.NextRetry.Equal(next) || first.Error != "503 Service Unavailable" {
				t.Fatalf("first attempt %+v", first)
			}

			if err := s.DeleteDestination(ctx, b.ID, ipr.ID, d.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b deletes org a's destination: %v", err)
			}
			if err := s.DeleteDestination(ctx, a.ID, ipr.ID, d.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DestinationByID(ctx, d.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted destination: %v", err)
			}
			var sealed []byte
			if err := s.read.QueryRowContext(ctx, `SELECT sealed_settings FROM destinations WHERE id = $1`, d.ID).Scan(&sealed); err != nil || sealed != nil {
				t.Fatalf("sealed settings after delete: %q, %v", sealed, err)
			}
			if ds, _ := s.Deliveries(ctx, a.ID, im.ID); len(ds) != 1 {
				t.Fatal("the delivery log went with the destination")
			}
		})
	}
}
