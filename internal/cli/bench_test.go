package cli

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestBenchFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"rows not a number", []string{"--rows", "many"}, `invalid value "many" for flag -rows`},
		{"too few rows", []string{"--rows", "10"}, "rows must be 1000 to 5000000, not 10"},
		{"too many rows", []string{"--rows", "6000000"}, "rows must be 1000 to 5000000, not 6000000"},
		{"format", []string{"--format", "tsv"}, `format must be csv or xlsx, not "tsv"`},
		{"doc without markdown", []string{"--doc", "x.md"}, "--doc needs --markdown"},
		{"stray argument", []string{"now"}, `unexpected argument "now"`},
		{"unknown flag", []string{"--replica", "2"}, "flag provided but not defined: -replica"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runIn(t, "", append([]string{"bench"}, tc.args...)...)
			if code != exitInvalid || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, out, errOut, exitInvalid, tc.want)
			}
		})
	}
}

// A tiny run prints every figure beside its raw limit and the load, and
// --doc rewrites only the marked section. No timing is asserted: figures
// are measurements, not tests.
func TestBenchTinyRun(t *testing.T) {
	code, out, errOut := runIn(t, "", "bench", "--rows", "2000")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"2000 rows of CSV", "load average",
		"parse the CSV (internal/parse)", "encoding/csv alone",
		"server ingest, demo template (upload API)", "server ingest, typed template (upload API)", "inflate only",
		"webhook delivery to a loopback receiver", "bare HTTP sink",
		"download as CSV (API)", "AES-GCM alone",
		"purge (API, one importer's imports)", "bare SQLite delete",
		"not measured: browser import", "scripts/bench-widget.sh"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	doc := filepath.Join(t.TempDir(), "benchmarks.md")
	before, after := "# Benchmarks\n\nkept above\n", "\nkept below\n"
	os.WriteFile(doc, []byte(before+"<!-- intake bench: begin -->\nold figures\n<!-- intake bench: end -->\n"+after), 0o600)
	code, out, errOut = runIn(t, "", "bench", "--rows", "1000", "--format", "xlsx", "--markdown", "--doc", doc)
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
	}
	b, _ := os.ReadFile(doc)
	got := string(b)
	if !strings.HasPrefix(got, before+"<!-- intake bench: begin -->\n") || !strings.HasSuffix(got, "<!-- intake bench: end -->\n"+after) ||
		strings.Contains(got, "old figures") || !strings.Contains(got, "| parse the XLSX (internal/parse) |") ||
		!strings.Contains(got, "excelize alone") || !strings.Contains(got, "--rows 1000 --format xlsx") {
		t.Fatalf("doc after --doc:\n%s", got)
	}
}

const benchServeHelperEnv = "INTAKE_TEST_BENCH_SERVE_HELPER"

// TestBenchServeHelperProcess is not a test: run by TestBenchReplicas as a
// replica, it is cmd/intake's main running `intake serve` with the
// arguments after "--".
func TestBenchServeHelperProcess(t *testing.T) {
	if os.Getenv(benchServeHelperEnv) == "" {
		t.Skip("helper process only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, append([]string{"serve"}, flag.Args()...), strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// --replicas 2 measures 1 and 2 `intake serve` processes on one
// PostgreSQL and prints both figures with their CPU breakdown.
func TestBenchReplicas(t *testing.T) {
	pg := os.Getenv("INTAKE_TEST_DATABASE_URL")
	if pg == "" {
		t.Skip("PostgreSQL not configured (INTAKE_TEST_DATABASE_URL)")
	}
	t.Setenv(benchServeHelperEnv, "1")
	defer func(old func(...string) *exec.Cmd) { serveCommand = old }(serveCommand)
	serveCommand = func(args ...string) *exec.Cmd {
		return exec.Command(os.Args[0], append([]string{"-test.run=^TestBenchServeHelperProcess$", "-test.count=1", "--"}, args...)...)
	}
	code, out, errOut := runIn(t, "", "bench", "--rows", "1000", "--replicas", "2", "--database-url", pg)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"upload API, 1 replica(s) on one PostgreSQL", "upload API, 2 replica(s) on one PostgreSQL",
		"bare HTTP sink, 6 clients", "PostgreSQL", "cores busy"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := runIn(t, "", "bench", "--rows", "1000", "--replicas", "2", "--database-url", ""); code != exitInvalid ||
		!strings.Contains(errOut, "replicas need a PostgreSQL database") {
		t.Errorf("--replicas without a database: exit %d, %q", code, errOut)
	}
}
