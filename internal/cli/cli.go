// Package cli holds Intake's subcommands. Each subcommand is a function from
// its arguments and standard streams to an exit code, so tests run them
// in-process exactly as the binary does.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2 // bad usage, or (validate) data that does not pass the template
)

// Streams are a subcommand's standard input, output and error.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, s Streams) int
}

// commands lists every subcommand; each lives in a file named after it.
var commands = map[string]command{
	"serve":          {"run the Intake server", runServe},
	"admin":          {"bootstrap organizations, owners and API keys", runAdmin},
	"validate":       {"validate a CSV or JSON file against a template", runValidate},
	"import":         {"import a file through an importer, parsed and validated on the server (or --dry-run here)", runImport},
	"match":          {"propose a column mapping for a header row", runMatch},
	"webhook-listen": {"receive, verify and print webhook deliveries (for trying a destination)", runWebhookListen},
	"purge":          {"purge imports now: one, an importer's, an organization's, or those due", runPurge},
	"audit":          {"verify the chain of deletion receipts", runAudit},
	"migrate":        {"apply the database migrations (before starting replicas with --skip-migrations)", runMigrate},
	"keys":           {"rotate the master key: re-wrap every data key, touching no chunk", runKeys},
	"keygen":         {"make an age identity for an end-to-end encrypted importer; prints its public key", runKeygen},
	"decrypt":        {"decrypt an e2e importer's .age bundle, S3 object or webhook body into rows", runDecrypt},
	"healthcheck":    {"ask a running server for /healthz or /readyz (the container's HEALTHCHECK)", runHealthcheck},
}

// Run executes the subcommand named by args[0] and returns its exit code.
func Run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	s := Streams{In: in, Out: out, Err: errw}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Err)
		if len(args) == 0 {
			return exitInvalid
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.Err, "intake: unknown command %q\n\n", args[0])
		usage(s.Err)
		return exitInvalid
	}
	return cmd.run(ctx, args[1:], s)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: intake COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-15s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'intake COMMAND --help' for a command's flags.")
}

// parseFlags parses a command's flags. When the command must stop, ok is
// false and code is its exit status: 0 after -h (the usage was asked for),
// 2 after a bad flag (the flag package has printed why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	default:
		return exitInvalid, false
	}
}

// groupUsage prints the usage of a command that needs a subcommand (intake
// keys, admin, audit). Its status is 0 when the usage was asked for (-h) and
// 2 when the subcommand is missing or unknown.
func groupUsage(s Streams, args []string, text string) int {
	fmt.Fprintln(s.Err, text)
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		return exitOK
	}
	return exitInvalid
}
