package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestMigrationsAgree: the SQLite and PostgreSQL migrations are written
// twice, once per dialect; this holds them to the same tables, columns (and
// their NOT NULL) and indexes (with their columns, in order). Types are
// each dialect's own and are not compared. River's tables are River's.
func TestMigrationsAgree(t *testing.T) {
	stores := backends(t)
	if len(stores) < 2 {
		t.Skip("needs PostgreSQL (INTAKE_TEST_DATABASE_URL); CI sets it")
	}
	ctx := context.Background()
	sqlite, err := schemaOf(ctx, stores["sqlite"])
	if err != nil {
		t.Fatal(err)
	}
	postgres, err := schemaOf(ctx, stores["postgres"])
	if err != nil {
		t.Fatal(err)
	}
	if len(sqlite) < 10 {
		t.Fatalf("only %d schema items found on SQLite: the query is wrong", len(sqlite))
	}
	for _, item := range sqlite {
		if !slices.Contains(postgres, item) {
			t.Errorf("only on SQLite: %s", item)
		}
	}
	for _, item := range postgres {
		if !slices.Contains(sqlite, item) {
			t.Errorf("only on PostgreSQL: %s", item)
		}
	}
}

// schemaOf lists the store's tables, columns and indexes as sorted lines
// like "column imports.org_id not null" and "index imports_expiry(expires_at)".
func schemaOf(ctx context.Context, s *Store) ([]string, error) {
	var q string
	if s.postgres {
		q = `SELECT 'column ' || c.table_name || '.' || c.column_name || CASE WHEN c.is_nullable = 'NO' THEN ' not null' ELSE '' END
			FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
			WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
			  AND c.table_name NOT LIKE 'river%' AND c.table_name <> 'goose_db_version'
			UNION ALL
			SELECT 'index ' || i.relname || '(' || string_agg(a.attname, ',' ORDER BY k.n) || ')'
			FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_class tb ON tb.oid = x.indrelid
			JOIN pg_namespace ns ON ns.oid = tb.relnamespace AND ns.nspname = current_schema()
			CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = tb.oid AND a.attnum = k.attnum
			WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
			  AND tb.relname NOT LIKE 'river%' AND tb.relname <> 'goose_db_version'
			GROUP BY i.relname`
	} else {
		q = `SELECT 'column ' || m.name || '.' || p.name || CASE WHEN p."notnull" OR p.pk THEN ' not null' ELSE '' END
			FROM sqlite_master m, pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'river%' AND m.name <> 'goose_db_version'
			UNION ALL
			SELECT 'index ' || m.name || '(' || (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(m.name) ORDER BY seqno)) || ')'
			FROM sqlite_master m
			WHERE m.type = 'index' AND m.sql IS NOT NULL AND m.tbl_name NOT LIKE 'river%'`
	}
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		out = append(out, strings.ToLower(line))
	}
	slices.Sort(out)
	return out, rows.Err()
}
