package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// ErrSchemaBehind means the database lacks a migration this binary needs:
// a replica started with SkipMigrations before `intake migrate` ran. A
// database ahead of the binary is not an error: during a rolling upgrade
// the old replicas run on the new schema, which is why migrations only add
// (a column or table is dropped a release after the code stopped using it).
var ErrSchemaBehind = errors.New("the database schema is older than this binary: run `intake migrate` first")

// migrations is goose's view of the embedded migrations on this database.
// locked takes PostgreSQL's advisory lock around a run, so that replicas
// (or `intake migrate` beside starting replicas) never apply one twice.
func (s *Store) migrations(locked bool) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if s.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		if locked {
			locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
			if err != nil {
				return nil, fmt.Errorf("migrate: %w", err)
			}
			opts = append(opts, goose.WithSessionLocker(locker))
		}
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(dialect, s.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}

// checkSchema is Open's step under SkipMigrations: it reads which
// migrations are applied and applies none, so a replica whose database
// role may not alter the schema can start. (On a database never migrated,
// goose creates its empty version table before the check fails.)
func (s *Store) checkSchema(ctx context.Context) error {
	current, target, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current < target {
		return fmt.Errorf("schema version %d, this binary needs %d: %w", current, target, ErrSchemaBehind)
	}
	return nil
}

// SchemaVersion returns the newest migration applied to the database and
// the newest this binary carries.
func (s *Store) SchemaVersion(ctx context.Context) (current, target int64, err error) {
	p, err := s.migrations(false)
	if err != nil {
		return 0, 0, err
	}
	if current, target, err = p.GetVersions(ctx); err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	return current, target, nil
}
