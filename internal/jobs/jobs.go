// Package jobs runs Intake's durable work (deliveries, retries, retention)
// on River, over the metadata store's own database: SQLite in embedded mode,
// PostgreSQL at scale. Both drivers work on *sql.Tx, so a job is enqueued in
// the same transaction as the change that caused it (InsertTx), and jobs
// survive crashes and spread over replicas.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/intakehq/intake/internal/store"
)

// Client is the River client type of Intake.
type Client = river.Client[*sql.Tx]

// Options configure the queue.
type Options struct {
	// Register adds the job kinds this replica works. With none, the client
	// only inserts jobs (for commands such as `intake purge`).
	Register     []func(*river.Workers)
	PeriodicJobs []*river.PeriodicJob
	Logger       *slog.Logger
	// MaxWorkers bounds jobs run at once by this replica.
	MaxWorkers int
	// PollInterval is how often idle replicas look for jobs (SQLite has no
	// LISTEN/NOTIFY); zero means one second.
	PollInterval time.Duration
	// Queues names the queues worked besides River's default one (each
	// with MaxWorkers), such as deliveries' own queue.
	Queues []string
	// RescueStuckJobsAfter is how long a running job of a crashed process
	// waits before another worker takes it over; it must exceed the
	// longest job timeout (zero keeps River's default of one hour). Jobs
	// without a timeout of their own then get River's default timeout of a
	// minute, or this if it is shorter.
	RescueStuckJobsAfter time.Duration
}

// New migrates River's tables and returns a client (not started).
func New(ctx context.Context, st *store.Store, o Options) (*Queue, error) {
	var driver riverdriver.Driver[*sql.Tx]
	if st.Postgres() {
		driver = riverdatabasesql.NewWithPgxListener(st.WriteDB(), st.PG)
	} else {
		driver = riversqlite.New(st.WriteDB())
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	poll := o.PollInterval
	if poll == 0 {
		poll = time.Second
	}
	maxWorkers := o.MaxWorkers
	if maxWorkers == 0 {
		maxWorkers = 8
	}
	cfg := &river.Config{Logger: o.Logger, FetchPollInterval: poll, FetchCooldown: min(poll, 100*time.Millisecond),
		RescueStuckJobsAfter: o.RescueStuckJobsAfter}
	if o.RescueStuckJobsAfter > 0 && o.RescueStuckJobsAfter < river.JobTimeoutDefault {
		cfg.JobTimeout = o.RescueStuckJobsAfter
	}
	if len(o.Register) > 0 {
		cfg.Workers = river.NewWorkers()
		for _, register := range o.Register {
			register(cfg.Workers)
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
		for _, q := range o.Queues {
			cfg.Queues[q] = river.QueueConfig{MaxWorkers: maxWorkers}
		}
		cfg.PeriodicJobs = o.PeriodicJobs
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{Client: client, works: len(o.Register) > 0}, nil
}

// Queue is the job client and whether this process works jobs.
type Queue struct {
	*Client
	works bool
}

// Start begins working jobs, if this queue has job kinds to work.
func (q *Queue) Start(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.Client.Start(ctx)
}

// Stop waits for running jobs to finish (up to ctx), if any were started.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.Client.Stop(ctx)
}
