package retention_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/server"
)

// TestPeriodicJobPurges starts the server's job queue: the retention job,
// scheduled to run on start, purges an import whose retention has ended
// without anyone asking.
func TestPeriodicJobPurges(t *testing.T) {
	t.Parallel()
	e := start(t, false)
	importerID, _ := e.importer(t, "periodic")
	ids := seedExpired(t, e.Server.Store, e.Server.Vault, e.Server.Bucket, e.OrgID, importerID, 3, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Server.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Server.Jobs.Stop(stop)
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		im, err := e.Server.Store.Import(ctx, e.OrgID, ids[2])
		if err != nil {
			t.Fatal(err)
		}
		if im.Status == "purged" && e.countChunks(t, ids[2]) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retention job did not purge the expired import (status %s)", im.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, id := range ids {
		if n := countBlobs(t, e.Server.Bucket, id); n != 0 {
			t.Fatalf("import %s: %d blobs left", id, n)
		}
	}
}

// TestRestartPurgeNotSwallowed: a purge left running by a crashed process
// (its row still "running", as SIGKILL leaves it) does not swallow the run
// at the restart, although both fall in the same five-minute period: the
// restarted replica purges what is due at once.
func TestRestartPurgeNotSwallowed(t *testing.T) {
	t.Parallel()
	e := start(t, false)
	ctx := context.Background()
	db := e.Server.Store.WriteDB()
	jobs := func(state string) int {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'retention.purge' AND state = ?`, state).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := e.Server.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); jobs("completed") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the purge at start did not run")
		}
	}
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.Server.Jobs.Stop(stop); err != nil {
		t.Fatal(err)
	}
	// The crash: the run is left "running", as a killed process leaves it.
	if _, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'running', finalized_at = NULL WHERE kind = 'retention.purge'`); err != nil {
		t.Fatal(err)
	}
	importerID, _ := e.importer(t, "restart")
	ids := seedExpired(t, e.Server.Store, e.Server.Vault, e.Server.Bucket, e.OrgID, importerID, 2, time.Now())

	restarted, err := server.Open(ctx, e.Server.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	if err := restarted.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		restarted.Jobs.Stop(stop)
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		im, err := e.Server.Store.Import(ctx, e.OrgID, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if im.Status == "purged" && countBlobs(t, e.Server.Bucket, ids[1]) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restart's purge was swallowed: import %s, %d running and %d completed purge jobs", im.Status, jobs("running"), jobs("completed"))
		}
	}
}
