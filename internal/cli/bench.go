package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/intakehq/intake/internal/benchrun"
)

// runBench: intake bench [--rows N] [--format csv|xlsx] [--replicas N
// --database-url postgres://…] [--markdown [--doc FILE]]. It writes the seeded bench data set and measures, in this
// process, on loopback only, each step of an import beside its raw limit
// measured in the same run (internal/benchrun), then prints the figures: a
// table, or with --markdown the section of docs/benchmarks.md, which --doc
// rewrites in place between its markers.
func runBench(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake bench", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	rows := fs.Int("rows", 100_000, fmt.Sprintf("`N` rows of the seeded data set (%d to %d)", benchrun.MinRows, benchrun.MaxRows))
	format := fs.String("format", "csv", "file format of the data set: csv or xlsx")
	markdown := fs.Bool("markdown", false, "print the figures as the Markdown section of docs/benchmarks.md")
	replicas := fs.Int("replicas", 0, fmt.Sprintf("also measure 1 to `N` intake serve processes on one PostgreSQL (0 to %d)", benchrun.MaxReplicas))
	dbURL := fs.String("database-url", os.Getenv("INTAKE_DATABASE_URL"), "with --replicas: the PostgreSQL (a schema of its own is made and dropped)")
	doc := fs.String("doc", "", "with --markdown: rewrite that section of this file in place (between its intake bench markers)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	switch {
	case fs.NArg() > 0:
		errorf(s, "bench: unexpected argument %q", fs.Arg(0))
		return exitInvalid
	case *doc != "" && !*markdown:
		errorf(s, "bench: --doc needs --markdown")
		return exitInvalid
	}
	opts := benchrun.Options{Rows: *rows, Format: *format, Log: s.Err, Replicas: *replicas, DatabaseURL: *dbURL,
		ServeCommand: serveCommand}
	if err := opts.Check(); err != nil {
		errorf(s, "bench: %v", err)
		return exitInvalid
	}
	rep, err := benchrun.Run(ctx, opts)
	if err != nil {
		errorf(s, "bench: %v", err)
		return exitFailure
	}
	switch {
	case *doc != "":
		err = rep.UpdateDoc(*doc)
	case *markdown:
		err = rep.WriteMarkdown(s.Out)
	default:
		err = rep.WriteText(s.Out)
	}
	if err != nil {
		errorf(s, "bench: %v", err)
		return exitFailure
	}
	return exitOK
}

// serveCommand starts a replica of the bench: this executable's `intake
// serve` (a variable: the tests' binary is not intake, they run a helper).
var serveCommand = func(args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return exec.Command(self, append([]string{"serve"}, args...)...) //nolint:gosec // this very binary
}
