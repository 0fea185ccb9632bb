package retention_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/cli"
	"github.com/intakehq/intake/internal/retention"
)

const helperEnv = "INTAKE_TEST_PURGE_HELPER_DIR"

// TestPurgeHelperProcess is not a test: run by TestSIGKILLDuringPurge as a
// child process, it is `intake purge --expired` on the data folder named by
// the environment.
func TestPurgeHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	os.Exit(cli.Run(context.Background(), []string{"purge", "--expired", "--data-dir", dir, "--log-level", "warn"}, strings.NewReader(""), os.Stdout, os.Stderr))
}

// TestSIGKILLDuringPurge kills `intake purge --expired` with SIGKILL while
// it purges 10,000 expired imports, then runs it again: every import ends
// purged with its blobs, chunk rows and claims deleted, each has exactly
// one receipt (none purged twice), and the receipt chain verifies.
func TestSIGKILLDuringPurge(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 imports")
	}
	t.Parallel()
	const n = 10000
	b := setup(t, false, retention.Options{})
	ids := seedExpired(t, b.Store, b.Vault, b.Bucket, b.OrgID, b.Importer.ID, n, time.Now())
	purged := func() int { return b.count(t, `SELECT COUNT(*) FROM imports WHERE status = 'purged'`) }
	helper := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPurgeHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+b.DataDir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd
	}
	cmd := helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for purged() < n/5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the purge did not start: %s", cmd.Stdout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	atKill := purged()
	pending := b.count(t, `SELECT COUNT(*) FROM imports WHERE status = 'purged' AND data_deleted_at IS NULL`)
	t.Logf("killed with %d of %d imports shredded, %d of them with data still to delete", atKill, n, pending)
	if atKill >= n && pending == 0 {
		t.Fatal("the purge finished before the kill: the test proves nothing")
	}

	again := helper()
	if err := again.Run(); err != nil {
		t.Fatalf("purge after restart: %v\n%s", err, again.Stdout)
	}
	if got := purged(); got != n {
		t.Fatalf("%d of %d imports purged after restart", got, n)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM imports WHERE status = 'purged' AND (data_deleted_at IS NULL OR wrapped_key IS NOT NULL)`,
		`SELECT COUNT(*) FROM chunks`,
		`SELECT COUNT(*) FROM claim_runs`,
	} {
		if left := b.count(t, q); left != 0 {
			t.Fatalf("%s: %d", q, left)
		}
	}
	if got := b.count(t, `SELECT COUNT(*) FROM import_events WHERE kind = 'import.purged'`); got != n {
		t.Fatalf("%d receipts for %d imports", got, n)
	}
	blobs := 0
	filepath.WalkDir(filepath.Join(b.DataDir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			blobs++
		}
		return nil
	})
	if blobs != 0 {
		t.Fatalf("%d blob files left", blobs)
	}
	if a := b.verify(t); a.Receipts != n {
		t.Fatalf("audit %+v", a)
	}
	b.assertGone(t, ids[0], 1)
}
