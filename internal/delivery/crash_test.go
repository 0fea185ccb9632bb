package delivery

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/rows"
)

// The crash test runs the delivery in a child process (this test binary,
// re-executed) with River and a durable store on SQLite files, kills it
// with SIGKILL in the middle of a delivery, starts it again, and checks the
// receiver — deduplicating by webhook-id — ends with exactly the sent rows.

const (
	crashRows      = 3000
	crashBatchSize = 100
)

// sqlStore is a durable Store for the child process: progress and attempts
// in SQLite, rows generated (row i has id i).
type sqlStore struct {
	db     *sql.DB
	url    string
	secret string
}

func (s *sqlStore) Delivery(ctx context.Context, id string) (Job, error) {
	d := Job{ID: id, BatchSize: crashBatchSize,
		Import: destination.Import{ID: "imp", Importer: "pub", Columns: []string{"id"}, Rows: crashRows},
		Destination: Target{ID: "dst", Kind: Webhook,
			Webhook: webhook.Endpoint{URL: s.url, Secrets: []string{s.secret}}},
	}
	var state string
	err := s.db.QueryRowContext(ctx, "SELECT state, acked, failures FROM progress WHERE id = ?", id).Scan(&state, &d.Progress.Acked, &d.Progress.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	d.Progress.State = State(state)
	return d, err
}

func (s *sqlStore) Record(ctx context.Context, id string, a destination.Attempt, p Progress) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO attempts (delivery, message, status, outcome) VALUES (?, ?, ?, ?)", id, a.Message, a.Status, string(a.Outcome)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO progress (id, state, acked, failures) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, acked = excluded.acked, failures = excluded.failures`,
		id, string(p.State), p.Acked, p.Failures); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqlStore) DisableDestination(context.Context, string) error { return nil }

func (s *sqlStore) Batches(ctx context.Context, _ string, size, from int) iter.Seq2[rows.Batch, error] {
	return func(yield func(rows.Batch, error) bool) {
		for i := from * size; i < crashRows; i += size {
			b := rows.Batch{Index: i / size, FirstRow: i}
			for r := i; r < min(crashRows, i+size); r++ {
				b.Rows = append(b.Rows, []*string{str(strconv.Itoa(r))})
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// TestDeliveryProcess is the child process; it does nothing in a normal run.
func TestDeliveryProcess(t *testing.T) {
	dir := os.Getenv("INTAKE_CRASH_DIR")
	if dir == "" {
		t.Skip("child process of TestSIGKILLMidDelivery")
	}
	ctx := context.Background()
	open := func(name string) *sql.DB {
		db, err := sql.Open("sqlite", filepath.Join(dir, name)+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		return db
	}
	riverDB, storeDB := open("river.db"), open("store.db")
	if _, err := storeDB.Exec(`CREATE TABLE IF NOT EXISTS progress (id TEXT PRIMARY KEY, state TEXT, acked INT, failures INT);
		CREATE TABLE IF NOT EXISTS attempts (delivery TEXT, message TEXT, status INT, outcome TEXT)`); err != nil {
		t.Fatal(err)
	}
	q, err := queue.OpenSQLite(ctx, riverDB, queue.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st := &sqlStore{db: storeDB, url: os.Getenv("INTAKE_CRASH_URL"), secret: os.Getenv("INTAKE_CRASH_SECRET")}
	w, err := NewWorker(WorkerConfig{Store: st, Logger: slog.New(slog.DiscardHandler),
		Policy:         outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}),
		RequestTimeout: 500 * time.Millisecond, Slice: 500 * time.Millisecond, JobTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	workers := queue.NewWorkers()
	w.Register(workers)
	// A job left running by a killed process is rescued once older than
	// this and the worker's JobTimeout.
	if err := q.Work(workers, queue.WorkOptions{Queues: []string{Queue}, MaxWorkers: 1, RescueStuckJobsAfter: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("INTAKE_CRASH_INSERT") != "" {
		if _, err := q.Insert(ctx, Args{DeliveryID: "dlv"}); err != nil {
			t.Fatal(err)
		}
	}
	// Done once the delivery is: its progress is in the store.
	for {
		var state string
		if err := storeDB.QueryRow(`SELECT coalesce(state, '') FROM progress WHERE id = 'dlv'`).Scan(&state); err == nil && state == string(Delivered) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	q.Stop(ctx)
}

func TestSIGKILLMidDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River's job rescuer (about 40 s)")
	}
	t.Parallel()
	rcv := newReceiver(t)
	dir := t.TempDir()
	var child *exec.Cmd
	var output strings.Builder
	// start runs the child and returns a channel that reports its exit.
	start := func(insert bool) <-chan error {
		child = exec.Command(os.Args[0], "-test.run=^TestDeliveryProcess$", "-test.count=1")
		child.Env = append(os.Environ(), "INTAKE_CRASH_DIR="+dir, "INTAKE_CRASH_URL="+rcv.srv.URL, "INTAKE_CRASH_SECRET="+rcv.secret)
		if insert {
			child.Env = append(child.Env, "INTAKE_CRASH_INSERT=1")
		}
		child.Stdout, child.Stderr = &output, &output
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- child.Wait() }()
		return exited
	}
	killed := make(chan struct{})
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 12 {
			// Mid-delivery: the receiver stores batch 12, but the
			// sender dies before it reads the 2xx, so the batch is
			// unacknowledged and will come again. killed is closed
			// first: the child may be reaped before Kill returns, and
			// its exit must never be read as one of its own.
			close(killed)
			child.Process.Kill()
		}
		return false
	}
	exited := start(true)
	select {
	case <-killed:
		<-exited
	case err := <-exited:
		select {
		case <-killed: // our kill, reaped before killed was read
		default:
			t.Fatalf("child exited before the kill: %v\n%s", err, output.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("delivery never reached batch 12")
	}
	rcv.mu.Lock()
	before := len(rcv.rows)
	rcv.mu.Unlock()
	if before == 0 || before >= crashRows {
		t.Fatalf("%d rows before the kill: not mid-delivery", before)
	}

	restarted := time.Now()
	select {
	case err := <-start(false):
		if err != nil {
			t.Fatalf("restarted process: %v\n%s", err, output.String())
		}
	case <-time.After(120 * time.Second):
		child.Process.Kill()
		t.Fatal("delivery did not finish after the restart")
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	exactRows(t, rcv, crashRows)
	if rcv.dups != 1 {
		t.Errorf("%d duplicate messages, want 1 (the batch in flight)", rcv.dups)
	}
	if !rcv.seen["msg_dlv_completed"] {
		t.Fatal("no import.completed")
	}
	t.Logf("%d rows before SIGKILL; resumed and finished %s after restart; %d duplicate messages", before, time.Since(restarted).Round(time.Second), rcv.dups)
}
