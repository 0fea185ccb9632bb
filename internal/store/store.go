// Package store keeps Intake's metadata: organizations, users, API keys,
// importers, imports, chunks and import-log events, in SQLite (embedded
// default) or PostgreSQL, through one code path and one SQL dialect (both
// accept $N parameters, RETURNING and ON CONFLICT). Every method that reads or
// changes an organization's data takes the organization id and scopes its query
// by it. The store never sees a cell value: chunks are sealed before they
// reach it, and it holds only their blob keys, counts and hashes.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the CGO-free SQLite driver
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

//go:embed migrations
var migrations embed.FS

// Store is the metadata store. Reads go to a pool of connections; writes to a
// single connection on SQLite (one writer at a time, as PocketBase does) and to
// the shared pool on PostgreSQL.
type Store struct {
	read, write *sql.DB
	// PG is the pgx pool on PostgreSQL (nil on SQLite), for the job queue.
	PG       *pgxpool.Pool
	postgres bool
	now      func() time.Time
	stmts    stmtCache
}

// Options configure Open.
type Options struct {
	// SQLitePath is the database file; used when PostgresURL is empty.
	SQLitePath string
	// PostgresURL selects PostgreSQL.
	PostgresURL string
	// Now is the clock (tests set a fake one); defaults to time.Now.
	Now func() time.Time
	// SkipMigrations opens a database that `intake migrate` brought up to
	// date: Open applies nothing and fails with ErrSchemaBehind while a
	// migration of this binary is missing (see migrate.go).
	SkipMigrations bool
}

// Open connects, applies the embedded migrations in order (each in its own
// transaction; on PostgreSQL under an advisory lock so replicas can start at
// once), unless SkipMigrations, and returns the store.
func Open(ctx context.Context, o Options) (*Store, error) {
	s := &Store{now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if o.PostgresURL != "" {
		err = s.openPostgres(ctx, o.PostgresURL)
	} else {
		err = s.openSQLite(o.SQLitePath)
	}
	if err != nil {
		return nil, err
	}
	migrate := s.migrate
	if o.SkipMigrations {
		migrate = s.checkSchema
	}
	if err := migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) openPostgres(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("connect to postgres: %w", err)
	}
	s.PG, s.postgres = pool, true
	s.read = stdlib.OpenDBFromPool(pool)
	s.write = s.read
	return nil
}

// sqlitePragmas: WAL for concurrent readers, a busy timeout instead of
// immediate SQLITE_BUSY, secure_delete so freed pages do not keep old bytes,
// and temporary tables in memory so nothing spills outside the data folder.
// The page cache is set per pool (cacheSize): each connection has its own.
const sqlitePragmas = "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_pragma=temp_store(MEMORY)" +
	"&_txlock=immediate"

// Each SQLite connection has its own page cache: the one writer's 32 MiB
// keeps the indexes a busy store writes in memory, each of the readers 8
// MiB. With 64 MiB for all nine, a warm server's resident memory passed
// 200 MB on its second 1M-row demo import (the writer's cache filling with
// one import's claims, then another's) for no measured gain; 32 MiB for
// the writer held it at 150 MB (docs/benchmarks.md, "Headless imports").
const (
	writerCacheKiB = 32 << 10
	readerCacheKiB = 8 << 10
	readers        = 8
)

// cacheSize is the pragma giving a connection a page cache of kib KiB.
func cacheSize(kib int) string { return "&_pragma=cache_size(-" + strconv.Itoa(kib) + ")" }

func (s *Store) openSQLite(path string) error {
	if path == "" {
		return errors.New("open sqlite: no database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	dsn := "file:" + path + sqlitePragmas
	write, err := sql.Open("sqlite", dsn+cacheSize(writerCacheKiB))
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn+cacheSize(readerCacheKiB))
	if err != nil {
		write.Close()
		return fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(readers)
	s.read, s.write = read, write
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := s.migrations(true)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close releases every connection.
func (s *Store) Close() error {
	s.stmts.close()
	err := s.read.Close()
	if s.write != s.read {
		err = errors.Join(err, s.write.Close())
	}
	if s.PG != nil {
		s.PG.Close()
	}
	return err
}

// Postgres reports whether the store runs on PostgreSQL.
func (s *Store) Postgres() bool { return s.postgres }

// WriteDB is the pool that writes go through (one connection on SQLite). The
// job queue shares it on SQLite so jobs can be enqueued in the same
// transaction as the change that caused them.
func (s *Store) WriteDB() *sql.DB { return s.write }

// Ping checks the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// Checkpoint folds the SQLite WAL back into the database file and truncates
// it, so that pages freed by a purge do not linger in the WAL. A no-op on
// PostgreSQL.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.postgres {
		return nil
	}
	return s.checkpointBeside(ctx, "TRUNCATE")
}

// checkpointBeside checkpoints the WAL in two steps that keep the single
// writer, which uploads wait for, mostly free. A PASSIVE checkpoint on a
// reader connection copies what is committed into the database file, beside
// the writes going on. Then a checkpoint in mode (PASSIVE or TRUNCATE) on the
// writer copies the frames committed meanwhile and syncs the database file,
// holding the writer only that long (15–35 ms during a purge). Ending on the writer matters: with the WAL fully copied and no
// write in between, the next write starts the WAL over from its beginning; a
// reader's checkpoint alone, racing the writes, never gets there, and the
// WAL grows for as long as writes go on (hundreds of MB during a long purge,
// which the final TRUNCATE then held the writer to free).
func (s *Store) checkpointBeside(ctx context.Context, mode string) error {
	if _, err := s.read.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, "PRAGMA wal_checkpoint("+mode+")"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// InTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer s.prepareNoted(ctx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) nowMicro() int64 { return s.now().UnixMicro() }

func fromMicro(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

// notFound turns sql.ErrNoRows into ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
