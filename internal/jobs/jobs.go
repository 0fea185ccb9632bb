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
	Workers      *river.Workers
	PeriodicJobs []*river.PeriodicJob
	Logger       *slog.Logger
	// MaxWorkers bounds jobs run at once by this replica.
	MaxWorkers int
	// PollInterval is how often idle replicas look for jobs (SQLite has no
	// LISTEN/NOTIFY); zero means one second.
	PollInterval time.Duration
}

// New migrates River's tables and returns a client (not started).
func New(ctx context.Context, st *store.Store, o Options) (*Client, error) {
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
	client, err := river.NewClient(driver, &river.Config{
		Logger:            o.Logger,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers:           o.Workers,
		PeriodicJobs:      o.PeriodicJobs,
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return client, nil
}
