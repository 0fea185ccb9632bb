// Package queue runs Intake's durable work (deliveries, retries, retention)
// on River, over the metadata store's own database: SQLite in embedded mode,
// PostgreSQL at scale. Both drivers work on *sql.Tx, so a job is inserted in
// the same transaction as the change that caused it (InsertTx), and jobs
// survive crashes and spread over replicas.
//
// River stays behind this package: callers see Job, Workers and the two
// outcomes a job may ask for besides success and failure (Snooze, Cancel),
// never a River type. A job's arguments are stored in clear in the queue's
// table, so they hold ids only: never a secret, never a cell value.
package queue

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/intakehq/intake/internal/store"
)

// Job is the arguments of one unit of work, stored as JSON. It must be a
// struct value (Kind is called on its zero value to name the kind).
type Job interface {
	// Kind names the job in the queue's table; it must not change once
	// jobs of the kind were stored.
	Kind() string
}

// InsertOptions say how jobs of a kind are inserted.
type InsertOptions struct {
	// Queue is the named queue the job runs on (empty: the default one).
	Queue string
	// MaxAttempts bounds the runs of a job that keeps failing (default 25).
	MaxAttempts int
	// UniqueByArgs inserts a job only if none with the same kind and
	// arguments is queued or running.
	UniqueByArgs bool
	// UniqueByPeriod inserts a job only if none of the kind was inserted in
	// the same period of this length.
	UniqueByPeriod time.Duration
}

// Inserted is a Job that says how it is inserted.
type Inserted interface {
	Job
	InsertOptions() InsertOptions
}

func riverOpts(o InsertOptions) river.InsertOpts {
	return river.InsertOpts{Queue: o.Queue, MaxAttempts: o.MaxAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: o.UniqueByArgs, ByPeriod: o.UniqueByPeriod}}
}

// args carries a Job through River: its JSON is the job's own, so stored
// jobs read the same with or without this package.
type args[J Job] struct{ job J }

func (a args[J]) Kind() string                  { return a.job.Kind() }
func (a args[J]) MarshalJSON() ([]byte, error)  { return json.Marshal(a.job) }
func (a *args[J]) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &a.job) }
func (a args[J]) InsertOpts() river.InsertOpts {
	if in, ok := any(a.job).(Inserted); ok {
		return riverOpts(in.InsertOptions())
	}
	return river.InsertOpts{}
}

// jobArgs wraps j for River without knowing its type parameter: River
// only needs Kind, JSON and the insert options.
type jobArgs struct{ job Job }

func (a jobArgs) Kind() string                 { return a.job.Kind() }
func (a jobArgs) MarshalJSON() ([]byte, error) { return json.Marshal(a.job) }
func (a jobArgs) InsertOpts() river.InsertOpts {
	if in, ok := a.job.(Inserted); ok {
		return riverOpts(in.InsertOptions())
	}
	return river.InsertOpts{}
}

// Snooze is what a job returns to run again after d without using up an
// attempt (a destination's retry schedule, a time slice used up).
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// Cancel is what a job returns when it can never succeed (its delivery
// was deleted): it is not retried.
func Cancel(err error) error { return river.JobCancel(err) }

// Workers are the job kinds a replica works, and its periodic jobs.
type Workers struct {
	w        *river.Workers
	periodic []*river.PeriodicJob
}

// NewWorkers returns an empty set of job kinds.
func NewWorkers() *Workers { return &Workers{w: river.NewWorkers()} }

// Register has work run every job of J's kind, each run bounded by timeout
// (it must be finite: a job of a crashed process is rescued only once
// older than it).
func Register[J Job](ws *Workers, timeout time.Duration, work func(ctx context.Context, job J) error) {
	river.AddWorker(ws.w, &worker[J]{work: work, timeout: timeout})
}

// Every inserts job every interval (once across replicas: the queue's
// leader inserts periodic jobs, unique per period) and once when this
// replica first leads. That first one is not unique: a job of the same
// period that a crashed process left "running" (River rescues it only
// after the rescue delay), or that completed just before a restart, would
// otherwise swallow it, and what the crash left half done would wait for
// the next period.
func Every[J Job](ws *Workers, interval time.Duration, id string, job J, o InsertOptions) {
	o.UniqueByPeriod = interval
	var started atomic.Bool
	ws.periodic = append(ws.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			first := o
			if started.CompareAndSwap(false, true) {
				first.UniqueByPeriod = 0
			}
			opts := riverOpts(first)
			return args[J]{job: job}, &opts
		}, &river.PeriodicJobOpts{ID: id, RunOnStart: true}))
}

type worker[J Job] struct {
	river.WorkerDefaults[args[J]]
	work    func(context.Context, J) error
	timeout time.Duration
}

func (w *worker[J]) Work(ctx context.Context, j *river.Job[args[J]]) error {
	return w.work(ctx, j.Args.job)
}

func (w *worker[J]) Timeout(*river.Job[args[J]]) time.Duration { return w.timeout }

// Options configure the queue.
type Options struct {
	// Logger receives River's own log lines. Required.
	Logger *slog.Logger
}

// WorkOptions configure the working of jobs.
type WorkOptions struct {
	// MaxWorkers bounds jobs run at once per queue by this replica
	// (default 8).
	MaxWorkers int
	// PollInterval is how often idle replicas look for jobs in each
	// queue; zero means one second on SQLite, which has no LISTEN/NOTIFY,
	// and five on PostgreSQL, where a notification wakes every replica at
	// each new job and polling is only the fallback for a lost one (each
	// poll is a query per queue and replica: at one second, an idle replica
	// and its backends spent 0.5 s of CPU a minute, at five 0.3 s).
	PollInterval time.Duration
	// Queues names the queues worked besides the default one (each with
	// MaxWorkers), such as deliveries' own queue.
	Queues []string
	// RescueStuckJobsAfter is how long a running job of a crashed process
	// waits before another worker takes it over; it must exceed the
	// longest job timeout (zero keeps River's default of one hour). Jobs
	// without a timeout of their own then get River's default timeout of a
	// minute, or this if it is shorter.
	RescueStuckJobsAfter time.Duration
}

func (o WorkOptions) pollInterval(notified bool) time.Duration {
	if notified {
		return cmp.Or(o.PollInterval, 5*time.Second)
	}
	return cmp.Or(o.PollInterval, time.Second)
}

// Queue inserts jobs and, once Work gave it job kinds, works them.
type Queue struct {
	driver riverdriver.Driver[*sql.Tx]
	log    *slog.Logger
	// client inserts; after Work it is the working client, which inserts
	// too, so that a job inserted by this replica is fetched at once
	// rather than at the next poll.
	client atomic.Pointer[river.Client[*sql.Tx]]
	works  bool
	// notified: the database tells the queue of new jobs (PostgreSQL's
	// LISTEN/NOTIFY), so polling is a fallback.
	notified bool
}

// Open migrates the queue's tables in the store's database and returns a
// queue that inserts jobs; Work makes it work them too. It exists before
// the services that insert jobs, and they before the workers that run
// them, so everything is built in dependency order.
func Open(ctx context.Context, st *store.Store, o Options) (*Queue, error) {
	if st.Postgres() {
		q, err := open(ctx, riverdatabasesql.NewWithPgxListener(st.WriteDB(), st.PG), o)
		if err != nil {
			return nil, err
		}
		q.notified = true
		return q, nil
	}
	return open(ctx, riversqlite.New(st.WriteDB()), o)
}

// OpenSQLite is Open on a SQLite database of its own (one connection at a
// time), for tests of a job kind without a store.
func OpenSQLite(ctx context.Context, db *sql.DB, o Options) (*Queue, error) {
	return open(ctx, riversqlite.New(db), o)
}

func open(ctx context.Context, driver riverdriver.Driver[*sql.Tx], o Options) (*Queue, error) {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	client, err := river.NewClient(driver, &river.Config{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	q := &Queue{driver: driver, log: o.Logger}
	q.client.Store(client)
	return q, nil
}

// Work gives the queue the job kinds this replica works; Start then runs
// them. Call it once, before Start and before any job is inserted
// concurrently.
func (q *Queue) Work(ws *Workers, o WorkOptions) error {
	if q.works {
		return errors.New("job queue: Work called twice")
	}
	poll := o.pollInterval(q.notified)
	maxWorkers := cmp.Or(o.MaxWorkers, 8)
	cfg := &river.Config{Logger: q.log, FetchPollInterval: poll, FetchCooldown: min(poll, 100*time.Millisecond),
		RescueStuckJobsAfter: o.RescueStuckJobsAfter, Workers: ws.w, PeriodicJobs: ws.periodic,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}}
	if o.RescueStuckJobsAfter > 0 && o.RescueStuckJobsAfter < river.JobTimeoutDefault {
		cfg.JobTimeout = o.RescueStuckJobsAfter
	}
	for _, name := range o.Queues {
		cfg.Queues[name] = river.QueueConfig{MaxWorkers: maxWorkers}
	}
	client, err := river.NewClient(q.driver, cfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	q.client.Store(client)
	q.works = true
	return nil
}

// InsertTx inserts job in tx, so that it exists if and only if tx
// commits. It reports false when the job is unique and one like it is
// already queued.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, job Job) (bool, error) {
	res, err := q.client.Load().InsertTx(ctx, tx, jobArgs{job}, nil)
	if err != nil {
		return false, fmt.Errorf("insert %s job: %w", job.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Insert inserts job on its own.
func (q *Queue) Insert(ctx context.Context, job Job) (bool, error) {
	res, err := q.client.Load().Insert(ctx, jobArgs{job}, nil)
	if err != nil {
		return false, fmt.Errorf("insert %s job: %w", job.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// Start begins working jobs, if this queue has job kinds to work.
func (q *Queue) Start(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.client.Load().Start(ctx)
}

// Stop fetches no more jobs and waits for running ones to finish, until
// ctx ends; then it cancels the jobs still running and waits (up to
// cancelWait) for each to record its end, so that they are retried at once
// by another replica. A job left running by an exiting process would
// instead wait for RescueStuckJobsAfter (a delivery: its timeout and more,
// 11 minutes by default). The error then says jobs were cancelled.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.works {
		return nil
	}
	client := q.client.Load()
	err := client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelWait)
	defer cancel()
	if cerr := client.StopAndCancel(cctx); cerr != nil {
		return fmt.Errorf("job queue: running jobs cancelled after the grace period, not all recorded: %w", cerr)
	}
	return fmt.Errorf("job queue: running jobs cancelled after the grace period (they are retried): %w", err)
}

// cancelWait bounds how long Stop waits for cancelled jobs to return.
const cancelWait = 5 * time.Second
