package cli

import (
	"context"

	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
)

// runMigrate: intake migrate [store flags]. It applies Intake's migrations
// and the job queue's (River's) to the database the flags name, and prints
// the schema version as JSON. Run it as its own step before a rolling
// upgrade (a Kubernetes Job, a systemd ExecStartPre), with a database role
// that may change the schema, then start the replicas with
// --skip-migrations under a role that may not. On PostgreSQL it takes the
// same advisory lock as a starting replica, so it is safe beside them.
func runMigrate(ctx context.Context, args []string, s Streams) int {
	cfg, code, ok := loadConfig("intake migrate", args, nil, s)
	if !ok {
		return code
	}
	opts := store.Options{SQLitePath: cfg.SQLitePath()}
	if cfg.IsPostgres() {
		opts = store.Options{PostgresURL: cfg.DatabaseURL}
	}
	st, err := store.Open(ctx, opts)
	if err != nil {
		errorf(s, "migrate: %v", err)
		return exitFailure
	}
	defer st.Close()
	if _, err := queue.Open(ctx, st, queue.Options{Logger: newLogger(s, cfg.LogLevel)}); err != nil {
		errorf(s, "migrate: %v", err)
		return exitFailure
	}
	current, _, err := st.SchemaVersion(ctx)
	if err != nil {
		errorf(s, "migrate: %v", err)
		return exitFailure
	}
	return printJSON(s, struct {
		SchemaVersion int64 `json:"schema_version"`
	}{current})
}
