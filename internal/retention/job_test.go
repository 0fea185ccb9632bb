package retention_test

import (
	"context"
	"testing"
	"time"
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
