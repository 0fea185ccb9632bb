package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
)

// TestSkipMigrations: on SQLite and PostgreSQL, a store opened with
// SkipMigrations on a database that was never migrated fails with
// ErrSchemaBehind; once migrated, it opens and reads
// the same version the migrating Open left.
func TestSkipMigrations(t *testing.T) {
	t.Parallel()
	cases := map[string]store.Options{"sqlite": {SQLitePath: filepath.Join(t.TempDir(), "intake.db")}}
	if url := storetest.PostgresURL(t); url != "" {
		cases["postgres"] = store.Options{PostgresURL: url}
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			skip := opts
			skip.SkipMigrations = true
			if _, err := store.Open(ctx, skip); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("skip on an empty database: %v, want ErrSchemaBehind", err)
			}
			migrated, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			current, target, err := migrated.SchemaVersion(ctx)
			migrated.Close()
			if err != nil || current != target || target < 10 {
				t.Fatalf("after migrating: version %d of %d, %v", current, target, err)
			}
			st, err := store.Open(ctx, skip)
			if err != nil {
				t.Fatalf("skip on a migrated database: %v", err)
			}
			defer st.Close()
			if got, _, err := st.SchemaVersion(ctx); err != nil || got != current {
				t.Fatalf("version %d, %v; want %d", got, err, current)
			}
		})
	}
}
