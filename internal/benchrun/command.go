package benchrun

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Exit codes of Main, those of the intake command.
const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2 // bad usage
)

// Main is the intake-bench command: intake-bench [--rows N] [--format
// csv|xlsx] [--replicas N --database-url postgres://…] [--markdown [--doc
// FILE]]. It writes the seeded bench data set and measures, in this
// process, on loopback only, each step of an import beside its raw limit
// measured in the same run, then prints the figures: a table, or with
// --markdown the section of docs/benchmarks.md, which --doc rewrites in
// place between its markers. serve starts one replica of --replicas: an
// `intake serve` with the arguments given.
func Main(ctx context.Context, args []string, out, errw io.Writer, serve func(args ...string) *exec.Cmd) int {
	errorf := func(format string, a ...any) { fmt.Fprintf(errw, "intake-bench: "+format+"\n", a...) }
	fs := flag.NewFlagSet("intake-bench", flag.ContinueOnError)
	fs.SetOutput(errw)
	rows := fs.Int("rows", 100_000, fmt.Sprintf("`N` rows of the seeded data set (%d to %d)", MinRows, MaxRows))
	format := fs.String("format", "csv", "file format of the data set: csv or xlsx")
	markdown := fs.Bool("markdown", false, "print the figures as the Markdown section of docs/benchmarks.md")
	replicas := fs.Int("replicas", 0, fmt.Sprintf("also measure 1 to `N` intake serve processes on one PostgreSQL (0 to %d)", MaxReplicas))
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
		errorf("unexpected argument %q", fs.Arg(0))
		return exitInvalid
	case *doc != "" && !*markdown:
		errorf("--doc needs --markdown")
		return exitInvalid
	}
	opts := Options{Rows: *rows, Format: *format, Log: errw, Replicas: *replicas, DatabaseURL: *dbURL, ServeCommand: serve}
	if err := opts.Check(); err != nil {
		errorf("%v", err)
		return exitInvalid
	}
	rep, err := Run(ctx, opts)
	if err != nil {
		errorf("%v", err)
		return exitFailure
	}
	switch {
	case *doc != "":
		err = rep.UpdateDoc(*doc)
	case *markdown:
		err = rep.WriteMarkdown(out)
	default:
		err = rep.WriteText(out)
	}
	if err != nil {
		errorf("%v", err)
		return exitFailure
	}
	return exitOK
}
