package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMigrateThenSkip: serve --skip-migrations refuses a data folder that
// was never migrated, naming the command to run; after intake migrate it
// starts (it prints its setup link, which needs the migrated tables).
func TestMigrateThenSkip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dir, "--skip-migrations", "--shutdown-timeout", "5s"}
	var out, errOut syncBuffer
	if code := runServe(context.Background(), args, Streams{Out: &out, Err: &errOut}); code != exitFailure {
		t.Fatalf("serve --skip-migrations on an empty folder exited %d", code)
	}
	if !strings.Contains(errOut.String(), "run `intake migrate` first") {
		t.Errorf("stderr %q does not say to run intake migrate", errOut.String())
	}
	var mOut, mErr strings.Builder
	if code := runMigrate(context.Background(), []string{"--data-dir", dir}, Streams{Out: &mOut, Err: &mErr}); code != exitOK {
		t.Fatalf("migrate exited %d: %s", code, mErr.String())
	}
	if !strings.Contains(mOut.String(), `"schema_version":`) || strings.Contains(mOut.String(), `"schema_version":0`) {
		t.Errorf("migrate printed %q", mOut.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out2, errOut2 syncBuffer
	go func() { done <- runServe(ctx, args, Streams{Out: &out2, Err: &errOut2}) }()
	waitFor(t, done, &out2, &errOut2, "setup?token=")
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exited %d; stderr %q", code, errOut2.String())
	}
}

// waitFor waits until serve (running until done) has printed want on out.
func waitFor(t *testing.T, done <-chan int, out, errOut *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("serve never printed %q; stderr %q", want, errOut.String())
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d; stderr %q", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
