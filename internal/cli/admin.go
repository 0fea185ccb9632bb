package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/store"
)

func errorf(s Streams, format string, args ...any) {
	fmt.Fprintf(s.Err, "intake: "+format+"\n", args...)
}

// runAdmin: intake admin init | apikey create.
func runAdmin(ctx context.Context, args []string, s Streams) int {
	switch {
	case len(args) >= 1 && args[0] == "init":
		return adminInit(ctx, args[1:], s)
	case len(args) >= 2 && args[0] == "apikey" && args[1] == "create":
		return adminAPIKey(ctx, args[2:], s)
	}
	return groupUsage(s, args, `Usage:
  intake admin init --org NAME --email EMAIL --password-stdin [store flags]
  intake admin apikey create --org NAME [store flags]

Store flags are those of 'intake serve' (--data-dir, --database-url, …).`)
}

// loadConfig reads the flags and INTAKE_* variables of `intake serve`, plus
// the command's own flags (added by own, may be nil). ok is false when the
// command should stop and exit with code (help shown, or bad flags).
func loadConfig(name string, args []string, own func(*flag.FlagSet), s Streams) (cfg config.Config, code int, ok bool) {
	cfg, err := config.Load(name, args, os.LookupEnv, s.Err, own)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, exitOK, false
	}
	if err != nil {
		errorf(s, "%s: %v", name, err)
		return cfg, exitInvalid, false
	}
	return cfg, exitOK, true
}

// openStore opens the metadata store that loadConfig's flags name. It
// returns a nil store and the exit code when the command should stop.
func openStore(ctx context.Context, name string, args []string, own func(*flag.FlagSet), s Streams) (*store.Store, int) {
	cfg, code, ok := loadConfig(name, args, own, s)
	if !ok {
		return nil, code
	}
	opts := store.Options{SQLitePath: cfg.SQLitePath()}
	if cfg.IsPostgres() {
		opts = store.Options{PostgresURL: cfg.DatabaseURL}
	}
	st, err := store.Open(ctx, opts)
	if err != nil {
		errorf(s, "%s: %v", name, err)
		return nil, exitFailure
	}
	return st, exitOK
}

func newAPIKey() (key, prefix string, hash []byte) {
	key = "ik_" + store.RandomToken(32)
	return key, key[:10], store.HashSecret(key)
}

func adminInit(ctx context.Context, args []string, s Streams) int {
	var org, email string
	var pwStdin bool
	st, code := openStore(ctx, "intake admin init", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organization name")
		fs.StringVar(&email, "email", "", "owner's email address")
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the owner's password from standard input")
	}, s)
	if st == nil {
		return code
	}
	defer st.Close()
	if strings.TrimSpace(org) == "" || !strings.Contains(email, "@") || !pwStdin {
		errorf(s, "admin init: --org, --email and --password-stdin are required")
		return exitInvalid
	}
	line, err := bufio.NewReader(io.LimitReader(s.In, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		errorf(s, "admin init: read password: %v", err)
		return exitFailure
	}
	hash, err := auth.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		errorf(s, "admin init: %v", err)
		return exitInvalid
	}
	key, prefix, keyHash := newAPIKey()
	o, err := st.CreateOrgWithOwner(ctx, strings.TrimSpace(org), email, hash, prefix, keyHash)
	if errors.Is(err, store.ErrConflict) {
		errorf(s, "admin init: %v", err)
		return exitInvalid
	}
	if err != nil {
		errorf(s, "admin init: %v", err)
		return exitFailure
	}
	return printJSON(s, map[string]string{"org_id": o.ID, "api_key": key})
}

func adminAPIKey(ctx context.Context, args []string, s Streams) int {
	var org string
	st, code := openStore(ctx, "intake admin apikey create", args, func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "organization name")
	}, s)
	if st == nil {
		return code
	}
	defer st.Close()
	o, err := st.OrgByName(ctx, org)
	if err != nil {
		errorf(s, "apikey create: organization %q: %v", org, err)
		return exitInvalid
	}
	key, prefix, hash := newAPIKey()
	if err := st.CreateAPIKey(ctx, o.ID, prefix, hash); err != nil {
		errorf(s, "apikey create: %v", err)
		return exitFailure
	}
	return printJSON(s, map[string]string{"org_id": o.ID, "api_key": key})
}

func printJSON(s Streams, v any) int {
	if err := json.NewEncoder(s.Out).Encode(v); err != nil {
		return exitFailure
	}
	return exitOK
}
