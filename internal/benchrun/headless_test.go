package benchrun

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/intakehq/intake/internal/cli"
)

const serveHelperEnv = "INTAKE_TEST_BENCHRUN_SERVE_HELPER"

// serveHelper starts `intake serve args…` as this test binary running
// TestServeHelperProcess.
func serveHelper(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "-test.count=1", "--"}, args...)...) //nolint:gosec // this very test binary
	cmd.Env = append(os.Environ(), serveHelperEnv+"=1")
	return cmd
}

// TestServeHelperProcess is not a test: started by serveHelper, it is
// `intake serve` with the arguments after "--".
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(serveHelperEnv) == "" {
		t.Skip("helper process only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, append([]string{"serve"}, flag.Args()...), strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func runHeadless(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = HeadlessMain(context.Background(), args, &out, &errb, serveHelper, cli.Run)
	return code, out.String(), errb.String()
}

func TestHeadlessFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"too few rows", []string{"--rows", "10"}, "rows must be 1000 to 5000000, not 10"},
		{"format", []string{"--format", "tsv"}, `format must be csv, xlsx or both, not "tsv"`},
		{"template", []string{"--template", "wide"}, `template must be typed, demo or both, not "wide"`},
		{"runs", []string{"--runs", "0"}, "runs must be 1 to 20, not 0"},
		{"stray argument", []string{"now"}, `unexpected argument "now"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runHeadless(tc.args...)
			if code != exitInvalid || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// A tiny run sends the file to a real `intake serve` child and prints the
// server's CPU and peak RSS beside the parser alone. No timing is
// asserted: figures are measurements, not tests.
func TestHeadlessTinyRun(t *testing.T) {
	code, out, errOut := runHeadless("--rows", "1000", "--format", "csv", "--template", "typed", "--runs", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"1000 rows of CSV", "GOMAXPROCS 1", "load average",
		"intake import → intake serve, typed template, run 1", "internal/parse alone", "server CPU", "peak RSS", "encoding/csv alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
