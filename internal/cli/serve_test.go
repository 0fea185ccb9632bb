package cli

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/server/servertest"
)

// syncBuffer is servertest's output stream, which a test reads while
// serve writes it.
type syncBuffer = servertest.SyncBuffer

// TestServeBusyPort: serve on a port something else holds fails at once
// with a plain sentence naming the address, and prints no setup link (it
// would open the other program).
func TestServeBusyPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out, errOut syncBuffer
	code := runServe(context.Background(), []string{"--addr", busy.Addr().String(), "--data-dir", t.TempDir()}, Streams{Out: &out, Err: &errOut})
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if strings.Contains(out.String(), "setup?token=") {
		t.Errorf("a setup link was printed for a port serve never bound: %q", out.String())
	}
	if want := "intake serve: " + busy.Addr().String() + " is already in use"; !strings.Contains(errOut.String(), want) {
		t.Errorf("standard error %q lacks %q", errOut.String(), want)
	}
}

// TestServeBusyMetricsPort: a busy --metrics-addr is named with its own
// flag, not as --addr.
func TestServeBusyMetricsPort(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out, errOut syncBuffer
	code := runServe(context.Background(), []string{"--addr", "127.0.0.1:0", "--metrics-addr", busy.Addr().String(), "--data-dir", t.TempDir()},
		Streams{Out: &out, Err: &errOut})
	want := "intake serve: " + busy.Addr().String() + " is already in use (another intake serve?): stop what listens there, or choose another address with --metrics-addr"
	if code != exitFailure || !strings.Contains(errOut.String(), want) {
		t.Errorf("exit %d, standard error %q lacks %q", code, errOut.String(), want)
	}
}

// TestServePrintsWorkingLink: the setup link is printed once serve listens,
// with the port it bound (here chosen by the system), and it opens the
// setup page.
func TestServePrintsWorkingLink(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--shutdown-timeout", "5s"}, Streams{Out: &out, Err: &errOut})
	}()
	link := regexp.MustCompile(`http://127\.0\.0\.1:[1-9][0-9]*/setup\?token=setup_[a-z2-7]+`)
	deadline := time.Now().Add(20 * time.Second)
	for link.FindString(out.String()) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no setup link printed; stderr %q", errOut.String())
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d; stderr %q", code, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	resp, err := http.Get(link.FindString(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the printed link answers %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exited %d after cancel; stderr %q", code, errOut.String())
	}
}
