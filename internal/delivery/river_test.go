package delivery

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/intakehq/intake/internal/queue"
)

// TestRiverRunsDeliveries wires the worker into the job queue (River) on
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
	q, err := queue.OpenSQLite(ctx, db, queue.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	workers := queue.NewWorkers()
	w.Register(workers)
	if err := q.Work(workers, queue.WorkOptions{Queues: []string{Queue}, MaxWorkers: 2, PollInterval: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)

	if ok, err := q.Insert(ctx, Args{DeliveryID: "dlv1"}); err != nil || !ok {
		t.Fatalf("insert: %v, %v", ok, err)
	}
	// Inserting the same delivery again is a no-op: one job per delivery.
	if ok, err := q.Insert(ctx, Args{DeliveryID: "dlv1"}); err != nil || ok {
		t.Fatalf("second insert: %v, %v", ok, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for st.progress().State != Delivered {
		if time.Now().After(deadline) {
			t.Fatalf("delivery did not complete; progress %+v", st.progress())
		}
		time.Sleep(20 * time.Millisecond)
	}
	exactRows(t, rcv, 450)
}
