package retention_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/store"
)

// TestPurgeImport shreds and deletes one import on demand: the key, sealed
// context, blobs, chunk rows and claims go; the counts, log and one receipt
// stay; a second purge destroys nothing and writes no second receipt.
func TestPurgeImport(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, be.pg, retention.Options{})
			ctx := context.Background()
			id, _ := b.upload(t, b.Importer, 3, 10, true)
			keep, _ := b.upload(t, b.Importer, 1, 5, true)
			if n := b.blobs(t, id); n != 3 {
				t.Fatalf("%d blobs before purge, want 3", n)
			}
			r, err := b.Svc.PurgeImport(ctx, b.OrgID, id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Imports != 1 || r.Chunks != 3 || r.Bytes <= 0 || r.Pending != 0 {
				t.Fatalf("result %+v", r)
			}
			b.assertGone(t, id, 3)
			if n := b.blobs(t, keep); n != 1 {
				t.Fatalf("other import lost blobs: %d", n)
			}
			again, err := b.Svc.PurgeImport(ctx, b.OrgID, id)
			if err != nil || again.Imports != 0 {
				t.Fatalf("second purge: %+v, %v", again, err)
			}
			b.assertGone(t, id, 3)
			if _, err := b.Svc.PurgeImport(ctx, "org_other", id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("purge through another organization: %v, want ErrNotFound", err)
			}
			if _, err := b.Rows.Page(ctx, b.OrgID, id, 0, 10); err == nil {
				t.Fatal("rows of a purged import were readable")
			}
			log, err := b.Store.ImportLog(ctx, b.OrgID, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			kinds := []string{}
			for _, e := range log {
				kinds = append(kinds, string(e.Kind))
			}
			if got := strings.Join(kinds, ","); got != "import.created,chunk.stored,chunk.stored,chunk.stored,import.completed,import.purged" {
				t.Fatalf("import log %s", got)
			}
			if a := b.verify(t); a.Receipts != 1 {
				t.Fatalf("audit %+v", a)
			}
		})
	}
}

// TestRetentionBoundary: with a fake clock, a completed import is purged
// exactly when its retention ends and not a microsecond before; an
// abandoned upload exactly AbandonAfter after its last chunk (or its
// creation, without one), and not while chunks keep coming.
func TestRetentionBoundary(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			const abandonAfter = 6 * time.Hour
			b := setup(t, be.pg, retention.Options{AbandonAfter: abandonAfter})
			ctx := context.Background()
			done, _ := b.upload(t, b.Importer, 2, 3, true)       // expires at start + 1 day
			abandoned, _ := b.upload(t, b.Importer, 1, 3, false) // last chunk at start; purged at + 6 h
			empty, _ := b.upload(t, b.Importer, 0, 3, false)     // no chunk at all; purged at + 6 h
			// A slow upload: a second chunk 4 hours in, 2 hours left of its
			// token's day; abandoned 6 hours after that chunk.
			req := ingest.CreateRequest{Importer: b.Importer.Key, Columns: []string{"name", "email"}, Rows: 2}
			req.Source.Format, req.Source.SizeBytes = "csv", 10
			up, err := b.Ingest.Create(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			slow := up.ImportID
			putRow := func(n int) {
				t.Helper()
				body := fmt.Sprintf(`{"first_row":%d,"rows":[["p%d","p%d@example.com"]]}`, n, n, n)
				if _, err := b.Ingest.PutChunk(ctx, up.ImportID, up.UploadToken, n, "", strings.NewReader(body)); err != nil {
					t.Fatal(err)
				}
			}
			putRow(0)
			ids := []string{done, abandoned, empty, slow}
			expiry := epoch.Add(24 * time.Hour)
			for _, step := range []struct {
				at         time.Time
				wantPurged []string
				then       func()
			}{
				{epoch, nil, nil},
				{epoch.Add(4 * time.Hour), nil, func() { putRow(1) }},
				{epoch.Add(abandonAfter - time.Microsecond), nil, nil},
				{epoch.Add(abandonAfter), []string{abandoned, empty}, nil},
				{epoch.Add(4*time.Hour + abandonAfter - time.Microsecond), []string{abandoned, empty}, nil},
				{epoch.Add(4*time.Hour + abandonAfter), []string{abandoned, empty, slow}, nil},
				{expiry.Add(-time.Microsecond), []string{abandoned, empty, slow}, nil},
				{expiry, ids, nil},
			} {
				b.Clock.Set(step.at)
				if _, err := b.Svc.PurgeDue(ctx); err != nil {
					t.Fatal(err)
				}
				for _, id := range ids {
					im, err := b.Store.Import(ctx, b.OrgID, id)
					if err != nil {
						t.Fatal(err)
					}
					want := slices.Contains(step.wantPurged, id)
					if (im.Status == store.StatusPurged) != want {
						t.Fatalf("at %s: import %s status %s, want purged=%v", step.at, id, im.Status, want)
					}
				}
				if step.then != nil {
					step.then()
				}
			}
			b.assertGone(t, abandoned, 1)
			b.assertGone(t, slow, 2)
			b.assertGone(t, done, 2)
			var p importlog.Purged
			log, _ := b.Store.ImportLog(ctx, b.OrgID, done, 0, 0)
			if err := json.Unmarshal(log[len(log)-1].Data, &p); err != nil || p.Reason != importlog.ReasonExpired || !p.At.Equal(expiry) {
				t.Fatalf("receipt %+v, %v", p, err)
			}
			b.verify(t)
		})
	}
}

// TestResumeAfterCrash: a crash right after the shred transaction leaves the
// key destroyed and the blobs and rows in place; the next run finishes the
// purge without a second receipt.
func TestResumeAfterCrash(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, be.pg, retention.Options{})
			ctx := context.Background()
			id, _ := b.upload(t, b.Importer, 2, 4, true)
			shredded, err := b.Store.Shred(ctx, store.ShredSelection{OrgID: b.OrgID, ImportID: id, Limit: 10, At: epoch},
				func(im store.Shredded, prev []byte) (importlog.Purged, []byte, error) {
					return retention.NewReceipt(im, prev, importlog.ReasonRequested, epoch)
				})
			if err != nil || len(shredded) != 1 {
				t.Fatalf("shred: %v, %d", err, len(shredded))
			}
			if b.blobs(t, id) != 2 {
				t.Fatal("blobs should remain after the simulated crash")
			}
			r, err := b.Svc.PurgeDue(ctx)
			if err != nil || r.Imports != 0 {
				t.Fatalf("resume: %+v, %v", r, err)
			}
			b.assertGone(t, id, 2)
			b.verify(t)
		})
	}
}

// TestBlobStoreUnreachable: when the blob store fails, the keys are still
// shredded, the purge reports pending imports, and a later run deletes the
// blobs.
func TestBlobStoreUnreachable(t *testing.T) {
	t.Parallel()
	b := setup(t, false, retention.Options{})
	ctx := context.Background()
	id, _ := b.upload(t, b.Importer, 2, 4, true)
	down := b.newBucket()
	down.Close() // every call now fails
	failing := retention.New(retention.Options{Store: b.Store, Vault: b.Vault, Bucket: down, Logger: slog.New(slog.DiscardHandler), Now: b.Clock.Now})
	r, err := failing.PurgeImport(ctx, b.OrgID, id)
	if !errors.Is(err, retention.ErrBlobsPending) || r.Imports != 1 || r.Pending != 1 {
		t.Fatalf("purge with the blob store down: %+v, %v", r, err)
	}
	im, _ := b.Store.Import(ctx, b.OrgID, id)
	if im.WrappedKey != nil || im.Status != store.StatusPurged {
		t.Fatal("key not shredded while the blob store was down")
	}
	if b.blobs(t, id) != 2 {
		t.Fatal("blobs should still be there")
	}
	if r, err := b.Svc.PurgeDue(ctx); err != nil || r.Pending != 0 {
		t.Fatalf("retry: %+v, %v", r, err)
	}
	b.assertGone(t, id, 2)
	b.verify(t)
}

// TestConcurrentPurges runs retention runs and on-demand purges of the same
// organization at once: every import is purged once, with one receipt, and
// the chain verifies (on PostgreSQL this exercises SKIP LOCKED and the
// chain-row lock).
func TestConcurrentPurges(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, be.pg, retention.Options{BatchSize: 3})
			ctx := context.Background()
			var ids []string
			for range 24 {
				id, _ := b.upload(t, b.Importer, 1, 2, true)
				ids = append(ids, id)
			}
			b.Clock.Set(epoch.Add(48 * time.Hour))
			var wg sync.WaitGroup
			results := make(chan retention.Result, 8)
			for i := range 6 {
				wg.Go(func() {
					var r retention.Result
					var err error
					switch i % 3 {
					case 0:
						r, err = b.Svc.PurgeDue(ctx)
					case 1:
						r, err = b.Svc.PurgeImport(ctx, b.OrgID, ids[i])
					default:
						r, err = b.Svc.PurgeOrg(ctx, b.OrgID)
					}
					if err != nil {
						t.Error(err)
					}
					results <- r
				})
			}
			wg.Wait()
			close(results)
			total := 0
			for r := range results {
				total += r.Imports
			}
			if total != len(ids) {
				t.Fatalf("%d imports shredded in all, want %d (each exactly once)", total, len(ids))
			}
			for _, id := range ids {
				b.assertGone(t, id, 1)
			}
			if a := b.verify(t); a.Receipts != len(ids) {
				t.Fatalf("audit %+v", a)
			}
		})
	}
}

// TestBatchShrinksOnTimeout: a batch that cannot finish in BatchTimeout
// (here: another connection holds SQLite's write lock) is retried smaller,
// down to the minimum, instead of failing the run.
func TestBatchShrinksOnTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, false, retention.Options{BatchSize: 64, MinBatchSize: 4, BatchTimeout: 40 * time.Millisecond})
	b.upload(t, b.Importer, 1, 1, true)
	b.Clock.Set(epoch.Add(48 * time.Hour))
	locker, err := sql.Open("sqlite", "file:"+filepath.Join(b.DataDir, "intake.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	lock, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = b.Svc.PurgeDue(ctx)
	lock.Rollback()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run: %v, want the run's own deadline", err)
	}
	if got := b.Logs.String(); !strings.Contains(got, `"batch":32`) || !strings.Contains(got, `"batch":4`) {
		t.Fatalf("batch did not shrink from 64 to 4:\n%s", got)
	}
	if r, err := b.Svc.PurgeDue(context.Background()); err != nil || r.Imports != 1 {
		t.Fatalf("run once the lock is gone: %+v, %v", r, err)
	}
}
