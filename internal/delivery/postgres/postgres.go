// Package postgres writes an import into a PostgreSQL table: every row in one
// transaction, by COPY into a text staging table and one INSERT … SELECT
// that casts each column to the table's type, or an upsert on configured key
// columns. Connections go through the outbound guard.
//
// PostgreSQL's own error messages can quote the offending value ("invalid
// input syntax for type integer: …"), so errors from here carry only the
// SQLSTATE, its name and the column or constraint involved.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/rows"
)

// Errors callers branch on.
var (
	// ErrInvalid: the settings cannot work (malformed URL, bad mapping).
	ErrInvalid = errors.New("invalid PostgreSQL destination")
	// ErrNoTable: the configured table does not exist.
	ErrNoTable = errors.New("table does not exist")
	// ErrColumns: the mapping names columns the table lacks.
	ErrColumns = errors.New("columns do not match the table")
)

// Config is a PostgreSQL destination's settings, as the store keeps them.
type Config struct {
	// URL is the connection string (postgres://user:pw@host/db?sslmode=…).
	URL string
	// Schema holds the table (default public).
	Schema string
	// Table receives the rows.
	Table string
	// Columns maps template column keys to table columns. Empty maps every
	// template column to the table column of the same name. Template
	// columns left out are not written.
	Columns map[string]string
	// Key lists table columns forming a unique key. Empty: plain insert
	// (COPY). Set: upsert, the last row of the import winning for a key.
	Key []string
}

// Writer writes imports into PostgreSQL tables.
type Writer struct {
	policy *outbound.Policy
}

// NewWriter returns a writer whose connections go through policy.
func NewWriter(policy *outbound.Policy) *Writer { return &Writer{policy: policy} }

// target is one mapped column: which template cell feeds which table
// column of which type.
type target struct {
	cell   int
	column string
	typ    string
}

// Hosts lists the hosts a connection URL makes the driver connect to, in
// order: the URL's host or hosts, or those of a host= parameter. It reads
// the URL as pgx does (pgx.ParseConfig), resolving nothing, so that a
// destination is judged by the hosts it will really reach.
func Hosts(connURL string) ([]string, error) {
	pc, err := pgx.ParseConfig(connURL)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed connection URL", ErrInvalid) // the URL may hold a password
	}
	hosts := []string{pc.Host}
	for _, f := range pc.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	return hosts, nil
}

// Write inserts the import's rows in one transaction and returns how many
// table rows it inserted or updated. Nothing is committed on any error.
func (w *Writer) Write(ctx context.Context, cfg Config, imp destination.Import, rows iter.Seq2[rows.Batch, error]) (int64, error) {
	if cfg.Table == "" {
		return 0, fmt.Errorf("%w: no table", ErrInvalid)
	}
	pc, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed connection URL", ErrInvalid) // the URL may hold a password
	}
	pc.DialFunc = w.policy.DialContext
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return 0, fmt.Errorf("postgres connect: %w", sanitize(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres begin: %w", sanitize(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	table := pgx.Identifier{cmpOr(cfg.Schema, "public"), cfg.Table}
	targets, err := mapColumns(ctx, tx, table, cfg, imp.Columns)
	if err != nil {
		return 0, err
	}
	stageCols := []string{"_ord"}
	defs := []string{"_ord bigint"}
	for i := range targets {
		stageCols = append(stageCols, "c"+strconv.Itoa(i))
		defs = append(defs, "c"+strconv.Itoa(i)+" text")
	}
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE intake_stage ("+strings.Join(defs, ", ")+") ON COMMIT DROP"); err != nil {
		return 0, fmt.Errorf("postgres staging table: %w", sanitize(err))
	}
	src := &copySource{targets: targets}
	src.next, src.stop = iter.Pull2(rows)
	defer src.stop()
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"intake_stage"}, stageCols, src); err != nil {
		if src.err != nil {
			return 0, fmt.Errorf("read rows: %w", src.err)
		}
		return 0, fmt.Errorf("postgres copy: %w", sanitize(err))
	}
	tag, err := tx.Exec(ctx, insertSQL(table, targets, cfg.Key))
	if err != nil {
		return 0, fmt.Errorf("postgres insert into %s: %w", table.Sanitize(), sanitize(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("postgres commit: %w", sanitize(err))
	}
	return tag.RowsAffected(), nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// mapColumns checks the table exists and has every mapped column, and
// returns the mapping in template order.
func mapColumns(ctx context.Context, tx pgx.Tx, table pgx.Identifier, cfg Config, columns []string) ([]target, error) {
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table.Sanitize()).Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres look up %s: %w", table.Sanitize(), sanitize(err))
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, table.Sanitize())
	}
	// The type without its modifier: c::varchar(5) would truncate silently,
	// while casting to varchar and letting the column apply its length
	// raises an error instead.
	rows, err := tx.Query(ctx, `SELECT attname, format_type(atttypid, NULL) FROM pg_attribute
		WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, table.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("postgres columns of %s: %w", table.Sanitize(), sanitize(err))
	}
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("postgres columns of %s: %w", table.Sanitize(), sanitize(err))
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres columns of %s: %w", table.Sanitize(), sanitize(err))
	}

	mapping := cfg.Columns
	if len(mapping) == 0 {
		mapping = map[string]string{}
		for _, c := range columns {
			mapping[c] = c
		}
	}
	var targets []target
	var missing, unknown []string
	for key, col := range mapping {
		i := slices.Index(columns, key)
		if i < 0 {
			unknown = append(unknown, key)
			continue
		}
		typ, ok := types[col]
		if !ok {
			missing = append(missing, col)
			continue
		}
		targets = append(targets, target{cell: i, column: col, typ: typ})
	}
	slices.Sort(missing)
	slices.Sort(unknown)
	switch {
	case len(unknown) > 0:
		return nil, fmt.Errorf("%w: the mapping names template columns that do not exist: %s", ErrInvalid, strings.Join(unknown, ", "))
	case len(missing) > 0:
		return nil, fmt.Errorf("%w: %s has no column %s", ErrColumns, table.Sanitize(), strings.Join(missing, ", "))
	case len(targets) == 0:
		return nil, fmt.Errorf("%w: no column mapped", ErrInvalid)
	}
	slices.SortFunc(targets, func(a, b target) int { return a.cell - b.cell })
	for _, k := range cfg.Key {
		if !slices.ContainsFunc(targets, func(t target) bool { return t.column == k }) {
			return nil, fmt.Errorf("%w: key column %s is not mapped", ErrInvalid, k)
		}
	}
	return targets, nil
}

// insertSQL moves the staged text rows into the table, casting each column
// to its type; with key columns it upserts, keeping the import's last row
// for a key.
func insertSQL(table pgx.Identifier, targets []target, key []string) string {
	var cols, exprs, keyExprs, sets []string
	for i, t := range targets {
		col := pgx.Identifier{t.column}.Sanitize()
		cols = append(cols, col)
		exprs = append(exprs, "c"+strconv.Itoa(i)+"::"+t.typ)
		if slices.Contains(key, t.column) {
			keyExprs = append(keyExprs, "c"+strconv.Itoa(i)+"::"+t.typ)
		} else {
			sets = append(sets, col+" = EXCLUDED."+col)
		}
	}
	sql := "INSERT INTO " + table.Sanitize() + " (" + strings.Join(cols, ", ") + ") SELECT "
	if len(key) == 0 {
		return sql + strings.Join(exprs, ", ") + " FROM intake_stage ORDER BY _ord"
	}
	sql += "DISTINCT ON (" + strings.Join(keyExprs, ", ") + ") " + strings.Join(exprs, ", ") +
		" FROM intake_stage ORDER BY " + strings.Join(keyExprs, ", ") + ", _ord DESC"
	var keyCols []string
	for _, k := range key {
		keyCols = append(keyCols, pgx.Identifier{k}.Sanitize())
	}
	sql += " ON CONFLICT (" + strings.Join(keyCols, ", ") + ") DO "
	if len(sets) == 0 {
		return sql + "NOTHING"
	}
	return sql + "UPDATE SET " + strings.Join(sets, ", ")
}

// copySource feeds COPY from the row iterator, one batch at a time.
type copySource struct {
	targets []target
	next    func() (rows.Batch, error, bool)
	stop    func()
	batch   rows.Batch
	i       int
	ord     int64
	vals    []any
	err     error
}

func (s *copySource) Next() bool {
	for s.i >= len(s.batch.Rows) {
		b, err, ok := s.next()
		if !ok {
			return false
		}
		if err != nil {
			s.err = err
			return false
		}
		s.batch, s.i = b, 0
	}
	row := s.batch.Rows[s.i]
	s.i++
	s.ord++
	s.vals = append(s.vals[:0], s.ord)
	for _, t := range s.targets {
		if t.cell < len(row) && row[t.cell] != nil {
			s.vals = append(s.vals, *row[t.cell])
		} else {
			s.vals = append(s.vals, nil)
		}
	}
	return true
}

func (s *copySource) Values() ([]any, error) { return s.vals, nil }
func (s *copySource) Err() error             { return s.err }

// sqlstateNames names the errors a misconfigured table or bad data gives.
var sqlstateNames = map[string]string{
	"22001": "value too long for its column",
	"22003": "numeric value out of range",
	"22007": "invalid date or time format",
	"22008": "date or time out of range",
	"22P02": "value does not fit its column type",
	"23502": "null value in a NOT NULL column",
	"23503": "foreign key violation",
	"23505": "unique violation",
	"23514": "check constraint violation",
	"28000": "invalid authorization",
	"28P01": "password authentication failed",
	"3D000": "database does not exist",
	"42501": "insufficient privilege",
	"42P10": "no unique constraint matches the key columns",
	"42804": "column type mismatch",
}

// sanitize replaces a PostgreSQL error by its code, name and the
// identifiers involved, dropping the message and detail that may quote a
// value.
func sanitize(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	msg := "SQLSTATE " + pe.Code
	if name, ok := sqlstateNames[pe.Code]; ok {
		msg += " (" + name + ")"
	}
	if pe.ColumnName != "" {
		msg += ", column " + pe.ColumnName
	}
	if pe.ConstraintName != "" {
		msg += ", constraint " + pe.ConstraintName
	}
	return &Error{Code: pe.Code, msg: msg}
}

// Error is a value-free PostgreSQL error; Code is the SQLSTATE.
type Error struct {
	Code string
	msg  string
}

func (e *Error) Error() string { return e.msg }
