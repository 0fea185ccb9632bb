package retention

import (
	"context"
	"time"

	"github.com/intakehq/intake/internal/queue"
)

// PurgeArgs is the periodic retention job. It carries nothing: each run
// purges whatever is due at the time it runs.
type PurgeArgs struct{}

// Kind names the job in the queue's table.
func (PurgeArgs) Kind() string { return "retention.purge" }

// Worker runs PurgeArgs jobs with a Service.
type Worker struct {
	svc *Service
}

// NewWorker returns the retention worker; Register adds it to a replica.
func NewWorker(svc *Service) *Worker { return &Worker{svc: svc} }

// jobTimeout bounds one run; what it leaves is due at the next run, and a
// batch cut short is rolled back (shred) or resumed (deletion). It lets a
// run outlast the queue's one-minute default: a backlog (a retention
// period ending for a busy month) is worked off in batches.
const jobTimeout = 10 * time.Minute

// Work purges what is due. Blobs that could not be deleted make the job
// fail, so the queue records why and retries it; their keys are already
// gone.
func (w *Worker) Work(ctx context.Context, _ PurgeArgs) error {
	_, err := w.svc.PurgeDue(ctx)
	return err
}

// Register adds the worker to a replica's job kinds and schedules the
// retention run every interval (one job per interval across every replica:
// the queue's leader inserts periodic jobs, and the job is unique per
// period), and once when the queue starts.
func (w *Worker) Register(ws *queue.Workers, interval time.Duration) {
	queue.Register(ws, jobTimeout, w.Work)
	queue.Every(ws, interval, "retention.purge", PurgeArgs{}, queue.InsertOptions{MaxAttempts: 5})
}
