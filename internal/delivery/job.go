// The delivery worker: one queue job per delivery (an import sent to one
// destination), resumable, retried on the destination's schedule. Progress
// lives in the store, not in the job, so a crash or a SIGKILL redelivers at
// most the batch that was in flight, and receivers deduplicate that one by
// its webhook-id. The worker reaches the store only through Store (the
// Service implements it; tests use a slice), and never logs a payload or a
// cell value.

package delivery

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/postgres"
	"github.com/intakehq/intake/internal/delivery/s3"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/rows"
)

// ErrNotFound is what Store.Delivery wraps when the delivery, its import or
// its destination is gone (deleted, purged): the job is cancelled, not
// retried.
var ErrNotFound = errors.New("delivery not found")

// Kind is the type of a destination.
type Kind string

// Destination kinds.
const (
	Webhook  Kind = "webhook"
	S3       Kind = "s3"
	Postgres Kind = "postgres"
)

// Target is a destination as a delivery run sees it: its kind and
// settings as the store keeps them, secrets included. It is loaded for each
// run and never put in job args (the queue stores those in clear).
type Target struct {
	ID   string
	Kind Kind
	// Disabled is set once a receiver answered 410 Gone; deliveries to a
	// disabled destination stop without sending.
	Disabled bool
	// Schedule is the wait between attempts; nil means the Standard
	// Webhooks schedule.
	Schedule destination.Schedule
	Webhook  webhook.Endpoint
	S3       s3.Config
	Postgres postgres.Config
}

// State is where a delivery stands.
type State string

// Delivery states. The zero value is Pending.
const (
	Pending   State = ""
	Delivered State = "delivered"
	Failed    State = "failed"   // schedule exhausted or settings invalid; replay to retry
	Disabled  State = "disabled" // the receiver answered 410 Gone
)

// Progress is a delivery's resumable state, saved with every attempt.
type Progress struct {
	State State
	// Acked counts acknowledged batches: the index of the next batch.
	Acked int
	// Failures counts failed attempts of the message now due.
	Failures int
	// NextRetry is when the message now due will be tried again.
	NextRetry time.Time
}

// Job is one delivery as the worker runs it: one import going to one
// destination, with its progress.
type Job struct {
	// ID is stable for the delivery; webhook-ids derive from it. A replay
	// is a new delivery with a new ID.
	ID string
	// BatchSize is the rows per webhook batch (default 1,000; 1–10,000),
	// copied from the destination when the delivery is created: progress
	// counts batches, so it must not change while the delivery runs.
	BatchSize int
	// Parallel caps the batches in flight at once (default 1: strictly in
	// order; at most MaxParallel). Above 1, batches may arrive out of
	// order, and those in flight behind a failed batch are sent again on
	// its retry; receivers deduplicate them by webhook-id as always.
	Parallel    int
	Import      destination.Import
	Destination Target
	Progress    Progress
}

// Store is what delivery jobs need from Intake's store. The lead implements
// it over SQLite or PostgreSQL.
type Store interface {
	// RowSource yields the import's rows (decrypted chunks) in batches.
	// The worker ranges over it in a goroutine of its own while it calls
	// Record from another, so the iterator must not hold a database
	// connection or transaction across a yield (read a chunk, release,
	// decrypt, yield): with SQLite's single writer that would deadlock.
	destination.RowSource
	// Delivery loads a delivery with its import, destination and progress.
	// It wraps ErrNotFound when any of them no longer exists.
	Delivery(ctx context.Context, deliveryID string) (Job, error)
	// Record appends the attempt to the delivery log and saves the new
	// progress, in one transaction: a batch counts as acknowledged only
	// once this returns.
	Record(ctx context.Context, deliveryID string, a destination.Attempt, p Progress) error
	// DisableDestination marks a destination disabled after its receiver
	// answered 410 Gone, so no new delivery is sent to it.
	DisableDestination(ctx context.Context, destinationID string) error
}

// Args is the job that delivers one delivery. It holds only the id.
type Args struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job in the queue's table.
func (Args) Kind() string { return "intake_deliver" }

// Queue is the named queue delivery jobs run on.
const Queue = "deliver"

// InsertOptions put deliveries on their own queue, once per delivery id.
// MaxAttempts covers store or queue failures only: a destination's failures
// follow its own schedule by snoozing, which does not use up attempts.
func (Args) InsertOptions() queue.InsertOptions {
	return queue.InsertOptions{Queue: Queue, MaxAttempts: 20, UniqueByArgs: true}
}

// WorkerConfig is what a Worker needs.
type WorkerConfig struct {
	// Store loads deliveries and records attempts. Required.
	Store Store
	// Policy guards every outbound connection. Required.
	Policy *outbound.Policy
	// Logger receives one line per attempt (ids, outcome, status,
	// latency). Required.
	Logger *slog.Logger
	// RequestTimeout bounds one webhook attempt (default 15 s).
	RequestTimeout time.Duration
	// Slice bounds one run of a webhook delivery: after it, the job
	// yields (snoozes 0) and resumes from its progress (default 1 min).
	Slice time.Duration
	// JobTimeout bounds one run of any delivery, S3 and PostgreSQL writes
	// included (default 10 min); River cancels a run that exceeds it. It
	// must exceed Slice plus RequestTimeout. River rescues the job of a
	// crashed process only once it is older than both this and the
	// client's RescueStuckJobsAfter, so set that just above JobTimeout:
	// it is how long a delivery waits to resume after a crash.
	JobTimeout time.Duration
}

// Worker runs delivery jobs; Register adds it to a replica's job kinds.
type Worker struct {
	store    Store
	webhooks *webhook.Sender
	s3       *s3.Writer
	pg       *postgres.Writer
	log      *slog.Logger
	slice    time.Duration
	timeout  time.Duration
	now      func() time.Time
}

// NewWorker checks cfg and returns a worker.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if cfg.Store == nil || cfg.Policy == nil || cfg.Logger == nil {
		return nil, errors.New("delivery worker: Store, Policy and Logger are required")
	}
	slice, timeout := cmpOr(cfg.Slice, time.Minute), cmpOr(cfg.JobTimeout, 10*time.Minute)
	if slice+cmpOr(cfg.RequestTimeout, 15*time.Second) >= timeout {
		return nil, fmt.Errorf("delivery worker: JobTimeout %s must exceed Slice plus RequestTimeout", timeout)
	}
	return &Worker{
		store:    cfg.Store,
		webhooks: webhook.NewSender(cfg.Policy, cfg.RequestTimeout),
		s3:       s3.NewWriter(cfg.Policy),
		pg:       postgres.NewWriter(cfg.Policy),
		log:      cfg.Logger,
		slice:    slice,
		timeout:  timeout,
		now:      time.Now,
	}, nil
}

func cmpOr(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Register adds delivery jobs to a replica's job kinds. Each run is
// bounded by JobTimeout: it must be finite, since the queue never rescues
// a job whose worker has no timeout, so a delivery left running by a
// crashed process would never resume.
func (w *Worker) Register(ws *queue.Workers) { queue.Register(ws, w.timeout, w.Work) }

// Work runs the delivery and translates the outcome for the queue: done
// completes the job, a wait snoozes it (a destination's retry does not use
// up a queue attempt), a store error is retried by the queue.
func (w *Worker) Work(ctx context.Context, a Args) error {
	step, err := w.Run(ctx, a.DeliveryID)
	switch {
	case errors.Is(err, ErrNotFound):
		return queue.Cancel(err)
	case err != nil:
		return err
	case step.Done:
		return nil
	}
	return queue.Snooze(step.Wait)
}

// Step is what one run of a delivery leads to.
type Step struct {
	// Done: delivered, failed for good, or disabled; nothing left to run.
	Done bool
	// Wait: when not done, how long until the next run.
	Wait time.Duration
}

// Run advances a delivery as far as it can now: it resumes from the saved
// progress, sends, records every attempt, and stops when the delivery is
// done, a retry must wait, or the time slice is used up.
func (w *Worker) Run(ctx context.Context, deliveryID string) (Step, error) {
	d, err := w.store.Delivery(ctx, deliveryID)
	if err != nil {
		return Step{}, fmt.Errorf("load delivery %s: %w", deliveryID, err)
	}
	if d.Progress.State != Pending {
		return Step{Done: true}, nil
	}
	if d.Destination.Disabled {
		p := d.Progress
		p.State = Disabled
		a := destination.Attempt{Message: d.ID, Batch: -1, Started: w.now(), Outcome: destination.Gone, Error: "destination is disabled"}
		return Step{Done: true}, w.record(ctx, d, a, p)
	}
	switch d.Destination.Kind {
	case Webhook:
		return w.runWebhook(ctx, d)
	case S3:
		return w.runSink(ctx, d, func(ctx context.Context, rows iter.Seq2[rows.Batch, error]) error {
			_, err := w.s3.Write(ctx, d.Destination.S3, d.Import, rows)
			return err
		})
	case Postgres:
		return w.runSink(ctx, d, func(ctx context.Context, rows iter.Seq2[rows.Batch, error]) error {
			_, err := w.pg.Write(ctx, d.Destination.Postgres, d.Import, rows)
			return err
		})
	}
	p := d.Progress
	p.State = Failed
	a := destination.Attempt{Message: d.ID, Batch: -1, Started: w.now(), Outcome: destination.Invalid, Error: fmt.Sprintf("unknown destination kind %q", d.Destination.Kind)}
	return Step{Done: true}, w.record(ctx, d, a, p)
}

// batchSize clamps a destination's batch size to the allowed range.
func batchSize(n int) int {
	if n == 0 {
		return destination.DefaultBatchSize
	}
	return min(max(n, destination.MinBatchSize), destination.MaxBatchSize)
}

func (w *Worker) runWebhook(ctx context.Context, d Job) (Step, error) {
	p := d.Progress
	target, err := w.webhooks.Target(d.Destination.Webhook)
	if err != nil {
		p.State = Failed
		a := destination.Attempt{Message: d.ID, Batch: p.Acked, Number: p.Failures + 1, Started: w.now(), Outcome: destination.Invalid, Error: err.Error()}
		return Step{Done: true}, w.record(ctx, d, a, p)
	}
	enc := webhook.NewEncoder(d.Import)
	deadline := w.now().Add(w.slice)
	msgs, stopPrepare := w.prepare(ctx, d, target, enc, p.Acked)
	defer stopPrepare()
	sent, stopSending := dispatch(ctx, target, msgs, parallelism(d.Parallel))
	defer stopSending() // runs first: the dispatcher stops reading msgs
	for f := range sent {
		if f.err != nil {
			return Step{}, f.err
		}
		if step, stop, err := w.settle(ctx, d, &p, <-f.attempt); stop {
			return step, err
		}
		if w.now().After(deadline) {
			return Step{Wait: 0}, nil
		}
		f.done() // only now may the next batch go (in order when Parallel is 1)
	}
	// The final event is not a batch, so settling it always ends the run.
	a, _ := target.SendCompleted(ctx, enc, d.ID, d.Import.Rows, p.Acked)
	step, _, err := w.settle(ctx, d, &p, a)
	return step, err
}

// prepared is a batch encoded and signed ahead of its turn, or the error
// that ended the row source.
type prepared struct {
	webhook.Message
	err error
}

// prepare encodes and signs batches from index from on, ahead of the
// sender: batch n+1 is built while batch n is on the wire. stop ends the
// producer, frees what it prepared and waits for it, so nothing outlives
// the run.
func (w *Worker) prepare(ctx context.Context, d Job, target *webhook.Target, enc *webhook.Encoder, from int) (<-chan prepared, func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan prepared, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(out)
		next := from
		for b, err := range w.store.Batches(ctx, d.Import.ID, batchSize(d.BatchSize), from) {
			var p prepared
			switch {
			case err != nil:
				p.err = fmt.Errorf("delivery %s: read batch %d: %w", d.ID, next, err)
			case b.Index != next:
				p.err = fmt.Errorf("delivery %s: row source gave batch %d, want %d", d.ID, b.Index, next)
			default:
				p.Message, p.err = target.BatchMessage(enc, d.ID, b)
			}
			select {
			case out <- p:
			case <-ctx.Done():
				p.Release()
				return
			}
			if p.err != nil {
				return
			}
			next++
		}
	})
	return out, func() {
		cancel()
		for p := range out {
			p.Release()
		}
		wg.Wait()
	}
}

// MaxParallel caps Job.Parallel.
const MaxParallel = 16

// parallelism clamps a delivery's parallelism to 1..MaxParallel.
func parallelism(n int) int { return min(max(n, 1), MaxParallel) }

// inFlight is a batch handed to the sender, in batch order: its attempt
// arrives on attempt. done frees its slot for the next batch.
type inFlight struct {
	attempt chan destination.Attempt
	err     error // the row source failed; nothing was sent
	slots   chan struct{}
}

func (f inFlight) done() { <-f.slots }

// dispatch sends prepared batches with at most par in flight, and hands
// them back in batch order. A slot is freed only when the caller has
// settled the batch, so with par 1 batch n+1 leaves after batch n was
// acknowledged and recorded. stop aborts what is in flight and waits for
// every send to return; with par > 1, batches that were in flight behind
// a failed one are sent again on the retry, under the same webhook-ids.
func dispatch(ctx context.Context, target *webhook.Target, msgs <-chan prepared, par int) (<-chan inFlight, func()) {
	ctx, cancel := context.WithCancel(ctx)
	slots := make(chan struct{}, par)
	out := make(chan inFlight, par) // never blocks: entries ≤ slots held
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(out)
		for m := range msgs {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				m.Release()
				return
			}
			f := inFlight{attempt: make(chan destination.Attempt, 1), err: m.err, slots: slots}
			if m.err == nil {
				wg.Go(func() {
					a, _ := target.Send(ctx, m.Message)
					m.Release()
					f.attempt <- a
				})
			}
			out <- f
			if m.err != nil {
				return
			}
		}
	})
	return out, func() {
		cancel()
		for range out {
		}
		wg.Wait()
	}
}

// settle records an attempt and moves the progress. stop is false only
// when a batch was acknowledged and the next one may go.
func (w *Worker) settle(ctx context.Context, d Job, p *Progress, a destination.Attempt) (step Step, stop bool, err error) {
	if ctx.Err() != nil {
		// Shutting down mid-attempt: not the receiver's failure. Resume
		// at once on the next start; the batch keeps its webhook-id.
		return Step{Wait: 0}, true, nil //nolint:nilerr // the attempt's error is the shutdown's, not the delivery's
	}
	a.Number = p.Failures + 1
	switch a.Outcome {
	case destination.Delivered:
		p.Failures, p.NextRetry = 0, time.Time{}
		if a.Batch >= 0 {
			p.Acked++
		} else {
			p.State = Delivered
		}
	case destination.Gone:
		p.State = Disabled
	case destination.Invalid:
		p.State = Failed
	default:
		p.Failures++
		wait, ok := schedule(d.Destination).Next(p.Failures, a.RetryAfter)
		if !ok {
			p.State = Failed
			break
		}
		a.NextRetry = w.now().Add(wait)
		p.NextRetry = a.NextRetry
		if err := w.record(ctx, d, a, *p); err != nil {
			return Step{}, true, err
		}
		return Step{Wait: wait}, true, nil
	}
	if err := w.record(ctx, d, a, *p); err != nil {
		return Step{}, true, err
	}
	if p.State == Disabled {
		if err := w.store.DisableDestination(ctx, d.Destination.ID); err != nil {
			return Step{}, true, fmt.Errorf("disable destination %s: %w", d.Destination.ID, err)
		}
	}
	if p.State != Pending {
		return Step{Done: true}, true, nil
	}
	return Step{}, a.Outcome != destination.Delivered, nil
}

func schedule(d Target) destination.Schedule {
	if d.Schedule == nil {
		return destination.DefaultSchedule
	}
	return d.Schedule
}

// runSink delivers a whole import in one go (S3 object, PostgreSQL
// transaction): all or nothing, so a retry starts over.
func (w *Worker) runSink(ctx context.Context, d Job, write func(context.Context, iter.Seq2[rows.Batch, error]) error) (Step, error) {
	var srcErr error
	rows := func(yield func(rows.Batch, error) bool) {
		for b, err := range w.store.Batches(ctx, d.Import.ID, destination.DefaultBatchSize, 0) {
			if err != nil {
				srcErr = err
			}
			if !yield(b, err) || err != nil {
				return
			}
		}
	}
	p := d.Progress
	a := destination.Attempt{Message: d.ID, Batch: -1, Started: w.now(), Outcome: destination.Delivered}
	err := write(ctx, rows)
	a.Latency = w.now().Sub(a.Started)
	switch {
	case srcErr != nil:
		return Step{}, fmt.Errorf("delivery %s: read rows: %w", d.ID, srcErr)
	case err == nil:
	case errors.Is(err, s3.ErrInvalid), errors.Is(err, postgres.ErrInvalid):
		a.Outcome, a.Error = destination.Invalid, err.Error()
	default:
		a.Outcome, a.Error = destination.Retry, err.Error()
	}
	step, _, err := w.settle(ctx, d, &p, a)
	return step, err
}

// record saves an attempt and logs it with ids, counts and durations only.
func (w *Worker) record(ctx context.Context, d Job, a destination.Attempt, p Progress) error {
	w.log.LogAttrs(ctx, levelOf(a.Outcome), "delivery attempt",
		slog.String("delivery", d.ID), slog.String("destination", d.Destination.ID), slog.String("message", a.Message),
		slog.Int("batch", a.Batch), slog.Int("attempt", a.Number), slog.String("outcome", string(a.Outcome)),
		slog.Int("status", a.Status), slog.Duration("latency", a.Latency), slog.Time("next_retry", a.NextRetry))
	if err := w.store.Record(ctx, d.ID, a, p); err != nil {
		return fmt.Errorf("record attempt of delivery %s: %w", d.ID, err)
	}
	return nil
}

func levelOf(o destination.Outcome) slog.Level {
	if o == destination.Delivered {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
