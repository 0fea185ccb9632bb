package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"iter"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/rows"
)

// bundle is what setup gives a test: a writer allowed to reach loopback, a
// config pointing at a fresh schema, and a connection to inspect it.
type bundle struct {
	w    *Writer
	cfg  Config
	conn *pgx.Conn
}

// setup creates a fresh schema in the test database (INTAKE_TEST_DATABASE_URL,
// from scripts/postgres.sh) and drops it afterwards.
func setup(t *testing.T, ddl string) bundle {
	t.Helper()
	url := os.Getenv("INTAKE_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("INTAKE_TEST_DATABASE_URL not set (scripts/postgres.sh start)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "pgdest_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema+"; SET search_path TO "+schema+"; "+ddl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	w := NewWriter(outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	return bundle{w: w, conn: conn, cfg: Config{URL: url, Schema: schema, Table: "people"}}
}

func str(s string) *string { return &s }

func batches(size int, data ...[]*string) iter.Seq2[rows.Batch, error] {
	return func(yield func(rows.Batch, error) bool) {
		for i := 0; i < len(data); i += size {
			if !yield(rows.Batch{Index: i / size, FirstRow: i, Rows: data[i:min(len(data), i+size)]}, nil) {
				return
			}
		}
	}
}

var imp = destination.Import{ID: "imp_1", Importer: "pub_1", Columns: []string{"email", "age", "joined", "nick"}}

const peopleDDL = `CREATE TABLE people (id serial PRIMARY KEY, email text UNIQUE NOT NULL, years int, joined date, nick varchar(5), active bool DEFAULT true)`

func (b bundle) dump(t *testing.T) string {
	t.Helper()
	result, err := b.conn.Query(context.Background(), "SELECT email, coalesce(years::text,'-'), coalesce(joined::text,'-'), coalesce(nick,'-') FROM "+b.cfg.Schema+".people ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for result.Next() {
		var a, c, d, e string
		if err := result.Scan(&a, &c, &d, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, a+"|"+c+"|"+d+"|"+e)
	}
	return strings.Join(out, ";")
}

func TestCopyWithMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, peopleDDL)
	b.cfg.Columns = map[string]string{"email": "email", "age": "years", "joined": "joined", "nick": "nick"}
	var data [][]*string
	for i := range 2500 {
		data = append(data, []*string{str("u" + strconv.Itoa(i) + "@x.org"), str(strconv.Itoa(i % 90)), str("2026-01-02"), nil})
	}
	data[1][1] = nil // null into int
	n, err := b.w.Write(context.Background(), b.cfg, imp, batches(1000, data...))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2500 {
		t.Fatalf("%d rows", n)
	}
	if got := b.dump(t); !strings.HasPrefix(got, "u0@x.org|0|2026-01-02|-;u1@x.org|-|2026-01-02|-;u2@x.org|2|") {
		t.Fatalf("table starts %.80s", got)
	}
}

func TestUpsertOnKey(t *testing.T) {
	t.Parallel()
	b := setup(t, peopleDDL+`; INSERT INTO people (email, years) VALUES ('a@x.org', 1), ('keep@x.org', 7)`)
	b.cfg.Columns = map[string]string{"email": "email", "age": "years"}
	b.cfg.Key = []string{"email"}
	_, err := b.w.Write(context.Background(), b.cfg, imp, batches(2,
		[]*string{str("a@x.org"), str("2")},
		[]*string{str("b@x.org"), str("3")},
		[]*string{str("a@x.org"), str("4")}, // same key twice in one import: the last wins
	))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.dump(t), "a@x.org|4|-|-;keep@x.org|7|-|-;b@x.org|3|-|-"; got != want {
		t.Fatalf("table %s, want %s", got, want)
	}
}

func TestConfigurationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, peopleDDL)
	ctx := context.Background()
	one := batches(1, []*string{str("a@x.org"), str("1"), nil, nil})

	noTable := b.cfg
	noTable.Table = "persons"
	if _, err := b.w.Write(ctx, noTable, imp, one); !errors.Is(err, ErrNoTable) || !strings.Contains(err.Error(), "persons") {
		t.Errorf("missing table: %v", err)
	}
	// Default mapping: "age" has no column of that name.
	if _, err := b.w.Write(ctx, b.cfg, imp, one); !errors.Is(err, ErrColumns) || !strings.Contains(err.Error(), "age") {
		t.Errorf("mismatched columns: %v", err)
	}
	badMap := b.cfg
	badMap.Columns = map[string]string{"phone": "email"}
	if _, err := b.w.Write(ctx, badMap, imp, one); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown template column: %v", err)
	}
	badKey := b.cfg
	badKey.Columns = map[string]string{"email": "email"}
	badKey.Key = []string{"years"}
	if _, err := b.w.Write(ctx, badKey, imp, one); !errors.Is(err, ErrInvalid) {
		t.Errorf("unmapped key: %v", err)
	}
	noUnique := b.cfg
	noUnique.Columns = map[string]string{"email": "email", "age": "years"}
	noUnique.Key = []string{"years"}
	var pe *Error
	if _, err := b.w.Write(ctx, noUnique, imp, one); !errors.As(err, &pe) || pe.Code != "42P10" {
		t.Errorf("key without a unique constraint: %v", err)
	}
	badURL := b.cfg
	badURL.URL = "postgres://u:hunter2@%zz/db"
	if _, err := b.w.Write(ctx, badURL, imp, one); !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("malformed URL: %v", err)
	}
	// The guard applies: without the allow-list, loopback is refused.
	if _, err := NewWriter(outbound.NewPolicy(nil)).Write(ctx, b.cfg, imp, one); !errors.Is(err, outbound.ErrForbidden) {
		t.Errorf("loopback without allow-list: %v", err)
	}
}

// A value that does not fit its column fails the whole import, and the
// error names the rule, never the value.
func TestBadValueRollsBackWithoutLeaking(t *testing.T) {
	t.Parallel()
	const canary = "canary-5e1f"
	tests := []struct {
		name string
		row  []*string
		code string
	}{
		{"not an int", []*string{str("c@x.org"), str(canary), nil, nil}, "22P02"},
		{"not a date", []*string{str("c@x.org"), str("1"), str(canary), nil}, "22007"},
		{"too long", []*string{str("c@x.org"), str("1"), nil, str(canary)}, "22001"},
		{"null email", []*string{nil, str("1"), nil, nil}, "23502"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, peopleDDL)
			b.cfg.Columns = map[string]string{"email": "email", "age": "years", "joined": "joined", "nick": "nick"}
			_, err := b.w.Write(context.Background(), b.cfg, imp, batches(1, []*string{str("ok@x.org"), str("1"), nil, nil}, tt.row))
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != tt.code {
				t.Fatalf("err = %v, want SQLSTATE %s", err, tt.code)
			}
			if strings.Contains(err.Error(), canary) {
				t.Fatalf("error leaks the value: %v", err)
			}
			if got := b.dump(t); got != "" {
				t.Fatalf("rows committed: %s", got)
			}
		})
	}
}

func TestSourceErrorRollsBack(t *testing.T) {
	t.Parallel()
	b := setup(t, peopleDDL)
	b.cfg.Columns = map[string]string{"email": "email"}
	src := func(yield func(rows.Batch, error) bool) {
		if yield(rows.Batch{Rows: [][]*string{{str("a@x.org")}}}, nil) {
			yield(rows.Batch{}, errors.New("chunk 2 unreadable"))
		}
	}
	if _, err := b.w.Write(context.Background(), b.cfg, imp, src); err == nil || !strings.Contains(err.Error(), "chunk 2") {
		t.Fatalf("err = %v", err)
	}
	if got := b.dump(t); got != "" {
		t.Fatalf("rows committed: %s", got)
	}
}
