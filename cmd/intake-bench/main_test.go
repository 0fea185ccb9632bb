package main

import (
	"bytes"
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

// runIn runs intake-bench in this process; its replicas are this test
// binary's TestServeHelperProcess.
func runIn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb, serveHelper)
	return code, out.String(), errb.String()
}

const serveHelperEnv = "INTAKE_TEST_BENCH_SERVE_HELPER"

// serveHelper starts a replica as this test binary running
// TestServeHelperProcess (the test binary is not intake-bench).
func serveHelper(args ...string) *exec.Cmd {
	return exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "-test.count=1", "--"}, args...)...)
}

// TestServeHelperProcess is not a test: started by serveHelper as a
// replica (serveHelperEnv set in the environment it inherits), it is main's run with "serve" and the arguments after "--".
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(serveHelperEnv) == "" {
		t.Skip("helper process only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, append([]string{"serve"}, flag.Args()...), strings.NewReader(""), os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

func TestFlagErrors(t *testing.T) {
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
		{"replicas without a database", []string{"--replicas", "2", "--database-url", ""}, "replicas need a PostgreSQL database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runIn(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}

// A tiny run prints every figure beside its raw limit and the load, and
// --doc rewrites only the marked section. No timing is asserted: figures
// are measurements, not tests.
func TestTinyRun(t *testing.T) {
	code, out, errOut := runIn(t, "--rows", "2000")
	if code != 0 {
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
	code, out, errOut = runIn(t, "--rows", "1000", "--format", "xlsx", "--markdown", "--doc", doc)
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
	}
	b, _ := os.ReadFile(doc)
	got := string(b)
	if !strings.HasPrefix(got, before+"<!-- intake bench: begin -->\n") || !strings.HasSuffix(got, "<!-- intake bench: end -->\n"+after) ||
		strings.Contains(got, "old figures") || !strings.Contains(got, "| parse the XLSX (internal/parse) |") ||
		!strings.Contains(got, "excelize alone") || !strings.Contains(got, "intake-bench --rows 1000 --format xlsx") {
		t.Fatalf("doc after --doc:\n%s", got)
	}
}

// --replicas 2 measures 1 and 2 `intake-bench serve` processes on one
// PostgreSQL and prints both figures with their CPU breakdown, their
// rounds' spread and the verdict of 2 against 1.
func TestReplicas(t *testing.T) {
	pg := os.Getenv("INTAKE_TEST_DATABASE_URL")
	if pg == "" {
		t.Skip("PostgreSQL not configured (INTAKE_TEST_DATABASE_URL)")
	}
	t.Setenv(serveHelperEnv, "1")
	code, out, errOut := runIn(t, "--rows", "1000", "--replicas", "2", "--database-url", pg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"upload API, 1 replica(s) on one PostgreSQL", "upload API, 2 replica(s) on one PostgreSQL",
		"bare HTTP sink, 6 clients", "PostgreSQL", "cores busy", "6 rounds of 60 imports", "against 1 replica, half by half: ", "(95%, 6 halves): "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// --headless, anywhere among the arguments, runs the headless benchmark
// (benchrun.HeadlessMain, tested there) with the other arguments.
func TestHeadlessFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--headless", "--runs", "0"}, {"--runs", "0", "-headless"}} {
		code, out, errOut := runIn(t, args...)
		if want := "intake-bench --headless: runs must be 1 to 20, not 0"; code != 2 || !strings.Contains(errOut, want) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", args, code, out, errOut, want)
		}
	}
}
