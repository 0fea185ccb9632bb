// Package storetest gives tests a PostgreSQL database of their own.
package storetest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURL returns a database URL on a fresh schema of the test
// PostgreSQL server (INTAKE_TEST_DATABASE_URL), or "" when it is not set.
// CI always sets it.
func PostgresURL(t testing.TB) string {
	base := os.Getenv("INTAKE_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must set INTAKE_TEST_DATABASE_URL (scripts/postgres.sh start)")
		}
		t.Log("INTAKE_TEST_DATABASE_URL not set: PostgreSQL part skipped")
		return ""
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test postgres: %v", err)
	}
	defer conn.Close(ctx)
	schema := "t_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Logf("drop test schema %s: %v", schema, err)
			}
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
