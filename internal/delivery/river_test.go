package delivery

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite"
)

// TestRiverRunsDeliveries wires the worker into a real River client on
// SQLite, the embedded deployment: a receiver that fails twice makes the
// job snooze on the destination's schedule, then complete.
func TestRiverRunsDeliveries(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 450)
	st.d.Destination.Schedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 3 || n == 4 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	}

	ctx := context.Background()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "river.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	client, err := river.NewClient(driver, &river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{Queue: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer cancelSub()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(ctx)

	if _, err := client.Insert(ctx, Args{DeliveryID: "dlv1"}, nil); err != nil {
		t.Fatal(err)
	}
	// Inserting the same delivery again is a no-op: one job per delivery.
	res, err := client.Insert(ctx, Args{DeliveryID: "dlv1"}, nil)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		t.Fatalf("second insert: %+v, %v", res, err)
	}
	select {
	case ev := <-events:
		if ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("job ended %s", ev.Kind)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("delivery did not complete; progress %+v", st.progress())
	}
	exactRows(t, rcv, 450)
	if p := st.progress(); p.State != Delivered {
		t.Fatalf("progress %+v", p)
	}
}
