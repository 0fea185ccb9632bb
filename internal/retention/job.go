package retention

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// PurgeArgs is the periodic retention job. It carries nothing: each run
// purges whatever is due at the time it runs.
type PurgeArgs struct{}

// Kind names the job in River's table.
func (PurgeArgs) Kind() string { return "retention.purge" }

// Worker runs PurgeArgs jobs with a Service.
type Worker struct {
	river.WorkerDefaults[PurgeArgs]
	svc *Service
}

// NewWorker returns the retention worker, for river.AddWorker.
func NewWorker(svc *Service) *Worker { return &Worker{svc: svc} }

// jobTimeout bounds one run; what it leaves is due at the next run, and a
// batch cut short is rolled back (shred) or resumed (deletion).
const jobTimeout = 10 * time.Minute

// Timeout lets a run outlast River's one-minute default: a backlog (a
// retention period ending for a busy month) is worked off in batches.
func (w *Worker) Timeout(*river.Job[PurgeArgs]) time.Duration { return jobTimeout }

// Work purges what is due. Blobs that could not be deleted make the job
// fail, so River records why and retries it; their keys are already gone.
func (w *Worker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	_, err := w.svc.PurgeDue(ctx)
	return err
}

// PeriodicJob schedules the retention run every interval (one job per
// interval across every replica: River's leader inserts periodic jobs, and
// the job is unique per period), and once when the queue starts.
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
		return PurgeArgs{}, &river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
	}, &river.PeriodicJobOpts{ID: "retention.purge", RunOnStart: true})
}

// Register adds the worker to a replica's job kinds (jobs.Options.Register).
func (w *Worker) Register(ws *river.Workers) { river.AddWorker(ws, w) }
