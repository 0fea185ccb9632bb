package queue_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
)

type echo struct {
	ID string `json:"id"`
}

func (echo) Kind() string { return "test_echo" }

func (echo) InsertOptions() queue.InsertOptions {
	return queue.InsertOptions{Queue: "echo", MaxAttempts: 3, UniqueByArgs: true}
}

type tick struct{}

func (tick) Kind() string { return "test_tick" }

func open(t *testing.T) *queue.Queue {
	t.Helper()
	q, _ := openDB(t)
	return q
}

// openDB is open, with the queue's database for a test to read.
func openDB(t *testing.T) (*queue.Queue, *sql.DB) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "queue.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	q, err := queue.OpenSQLite(context.Background(), db, queue.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return q, db
}

// TestQueue runs jobs through the queue on SQLite: a job's arguments come
// back as inserted, a unique job is inserted once, Snooze runs it again
// without using up an attempt, Cancel ends it, and a periodic job runs at
// start.
func TestQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := open(t)
	var mu sync.Mutex
	runs := map[string]int{}
	ticked := make(chan struct{}, 1)
	ws := queue.NewWorkers()
	queue.Register(ws, 5*time.Second, func(ctx context.Context, j echo) error {
		mu.Lock()
		defer mu.Unlock()
		runs[j.ID]++
		switch {
		case j.ID == "snooze" && runs[j.ID] < 5: // more runs than MaxAttempts
			return queue.Snooze(time.Millisecond)
		case j.ID == "cancel":
			return queue.Cancel(errors.New("cannot succeed"))
		}
		return nil
	})
	queue.Register(ws, time.Second, func(context.Context, tick) error {
		select {
		case ticked <- struct{}{}:
		default:
		}
		return nil
	})
	queue.Every(ws, time.Hour, "test.tick", tick{}, queue.InsertOptions{})
	if err := q.Work(ws, queue.WorkOptions{Queues: []string{"echo"}, PollInterval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := q.Work(ws, queue.WorkOptions{}); err == nil {
		t.Fatal("Work twice accepted")
	}
	for _, id := range []string{"plain", "snooze", "cancel"} {
		if ok, err := q.Insert(ctx, echo{ID: id}); err != nil || !ok {
			t.Fatalf("insert %s: %v %v", id, ok, err)
		}
	}
	if ok, err := q.Insert(ctx, echo{ID: "plain"}); err != nil || ok {
		t.Fatalf("unique job inserted twice: %v %v", ok, err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)
	select {
	case <-ticked:
	case <-time.After(20 * time.Second):
		t.Fatal("the periodic job did not run at start")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := runs["plain"] == 1 && runs["snooze"] == 5 && runs["cancel"] == 1
		got := map[string]int{"plain": runs["plain"], "snooze": runs["snooze"], "cancel": runs["cancel"]}
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs %v, want plain 1, snooze 5, cancel 1", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a cancelled or finished job must not run again
	mu.Lock()
	defer mu.Unlock()
	if runs["plain"] != 1 || runs["cancel"] != 1 || runs["snooze"] != 5 {
		t.Fatalf("jobs ran again: %v", runs)
	}
}

// TestInsertOnly: a queue without Work inserts, and Start and Stop do
// nothing (the `intake purge` side of a deployment).
func TestInsertOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := open(t)
	if ok, err := q.Insert(ctx, echo{ID: "x"}); err != nil || !ok {
		t.Fatalf("insert: %v %v", ok, err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

type block struct{}

func (block) Kind() string { return "test_block" }

// TestStopCancelsAfterGrace: a job still running when Stop's context ends
// is cancelled and recorded as retryable before Stop returns, rather than
// left "running" for a rescuer to find much later; Stop says so.
func TestStopCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	q, db := openDB(t)
	started := make(chan struct{})
	ws := queue.NewWorkers()
	queue.Register(ws, time.Hour, func(ctx context.Context, _ block) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	if err := q.Work(ws, queue.WorkOptions{PollInterval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Insert(ctx, block{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job never started")
	}
	grace, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := q.Stop(grace); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop: %v, want the grace period's end reported", err)
	}
	var state string
	if err := db.QueryRowContext(ctx, `SELECT state FROM river_job WHERE kind = 'test_block'`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != "retryable" && state != "available" {
		t.Errorf("the cancelled job is %q, want retryable", state)
	}
}

// TestPostgresNotifies: on PostgreSQL a job inserted by another replica
// runs at once, woken by its notification, though an idle replica polls
// only every five seconds.
func TestPostgresNotifies(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	if url == "" {
		t.Skip("PostgreSQL not configured (INTAKE_TEST_DATABASE_URL)")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{PostgresURL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts := queue.Options{Logger: slog.New(slog.DiscardHandler)}
	worker, err := queue.Open(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan time.Time, 1)
	ws := queue.NewWorkers()
	queue.Register(ws, 5*time.Second, func(context.Context, echo) error {
		ran <- time.Now()
		return nil
	})
	if err := worker.Work(ws, queue.WorkOptions{Queues: []string{"echo"}}); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := worker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(ctx)
	// Past the fetch at start, with the listener up: the next poll is
	// due at five seconds.
	time.Sleep(time.Second)
	other, err := queue.Open(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Insert(ctx, echo{ID: "from another replica"}); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-ran:
		if at.Sub(started) >= 5*time.Second {
			t.Fatalf("the job ran %s after start: at the poll, not at its notification", at.Sub(started))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run")
	}
}
