// Command intake-bench is Intake's benchmark anyone can rerun from a clone
// (internal/benchrun): each step of an import beside its raw limit, on
// loopback, seeded data of any size. It is a command of its own so that
// the intake server binary links none of its test server, excelize or
// in-process S3: `go build ./cmd/intake-bench`, then `intake-bench --rows
// 1000000`. Its --replicas start this same binary as `intake-bench serve
// …`, which is the intake server's serve (internal/cli), the one other
// thing it runs.
package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"

	"github.com/intakehq/intake/internal/benchrun"
	"github.com/intakehq/intake/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, serveSelf)
	stop()
	os.Exit(code)
}

// run is intake-bench, or with "serve" first one replica of its
// --replicas, or with --headless the headless imports through the real
// server (benchrun.HeadlessMain); serve starts such a replica.
func run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer, serve func(args ...string) *exec.Cmd) int {
	if len(args) > 0 && args[0] == "serve" {
		return cli.Run(ctx, args, in, out, errw)
	}
	if i := slices.IndexFunc(args, func(a string) bool { return a == "--headless" || a == "-headless" }); i >= 0 {
		return benchrun.HeadlessMain(ctx, slices.Delete(slices.Clone(args), i, i+1), out, errw, serve, cli.Run)
	}
	return benchrun.Main(ctx, args, out, errw, serve)
}

// serveSelf starts this executable as `intake-bench serve args…`.
func serveSelf(args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return exec.Command(self, append([]string{"serve"}, args...)...) //nolint:gosec // this very binary
}
