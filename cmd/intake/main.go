// Command intake is the Intake server and its tools. It only hands the command
// line to internal/cli, so that every subcommand can be tested in-process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/intakehq/intake/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
