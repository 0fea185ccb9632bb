package s3

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/rows"
)

// setup starts an in-memory S3 server on 127.0.0.1 with one bucket and
// returns a config pointing at it, and a writer allowed to reach loopback.
func setup(t *testing.T, format Format) (*Writer, Config) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("exports"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	w := NewWriter(outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}))
	w.now = func() time.Time { return time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC) }
	return w, Config{Bucket: "exports", Endpoint: srv.URL, AccessKeyID: "test", SecretAccessKey: "test", Format: format}
}

func str(s string) *string { return &s }

var testImport = destination.Import{ID: "imp_42", Importer: "pub_7", Columns: []string{"id", "name", "note"}}

// rowsOf yields n generated rows in batches of size; row i has a nil note
// when i is a multiple of 7, and odd characters otherwise.
func rowsOf(n, size int) iter.Seq2[rows.Batch, error] {
	return func(yield func(rows.Batch, error) bool) {
		for first := 0; first < n; first += size {
			b := rows.Batch{Index: first / size, FirstRow: first}
			for i := first; i < min(n, first+size); i++ {
				note := str("say \"hi\", Zoë\nline " + strconv.Itoa(i))
				if i%7 == 0 {
					note = nil
				}
				b.Rows = append(b.Rows, []*string{str(strconv.Itoa(i)), str("n" + strconv.Itoa(i)), note})
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

func read(t *testing.T, w *Writer, cfg Config, key string) []byte {
	t.Helper()
	b, err := w.open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := b.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wantCell is what row i, column j must read back as ("" and false = null).
func wantCell(i, j int) (string, bool) {
	switch j {
	case 0:
		return strconv.Itoa(i), true
	case 1:
		return "n" + strconv.Itoa(i), true
	}
	if i%7 == 0 {
		return "", false
	}
	return "say \"hi\", Zoë\nline " + strconv.Itoa(i), true
}

const n = 25_000 // 25 batches, several parquet pages

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	w, cfg := setup(t, CSV)
	key, err := w.Write(context.Background(), cfg, testImport, rowsOf(n, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if key != "pub_7/imp_42.csv" {
		t.Fatalf("key %q", key)
	}
	recs, err := csv.NewReader(bytes.NewReader(read(t, w, cfg, key))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n+1 || strings.Join(recs[0], ",") != "id,name,note" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	for i, rec := range recs[1:] {
		for j, got := range rec {
			if want, _ := wantCell(i, j); got != want {
				t.Fatalf("row %d col %d differs", i, j)
			}
		}
	}
}

func TestWriteJSONLines(t *testing.T) {
	t.Parallel()
	w, cfg := setup(t, JSONL)
	cfg.KeyTemplate = "{date}/{importer}-{import_id}.{ext}"
	key, err := w.Write(context.Background(), cfg, testImport, rowsOf(n, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if key != "2026-11-29/pub_7-imp_42.jsonl" {
		t.Fatalf("key %q", key)
	}
	lines := strings.Split(strings.TrimSuffix(string(read(t, w, cfg, key)), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d lines", len(lines))
	}
	for i, line := range lines {
		var obj map[string]*string
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for j, c := range testImport.Columns {
			want, ok := wantCell(i, j)
			if got := obj[c]; (got != nil) != ok || got != nil && *got != want {
				t.Fatalf("row %d col %s differs", i, c)
			}
		}
	}
}

func TestWriteParquet(t *testing.T) {
	t.Parallel()
	w, cfg := setup(t, Parquet)
	imp := testImport
	imp.Columns = []string{"zeta", "alpha", "mid"} // not alphabetical: order must survive
	key, err := w.Write(context.Background(), cfg, imp, rowsOf(n, 1000))
	if err != nil {
		t.Fatal(err)
	}
	data := read(t, w, cfg, key)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != n {
		t.Fatalf("%d rows", f.NumRows())
	}
	leaf := map[string]int{}
	for i, path := range f.Schema().Columns() {
		leaf[path[0]] = i
	}
	r := parquet.NewReader(f)
	defer r.Close()
	rows := make([]parquet.Row, n)
	got, err := r.ReadRows(rows)
	if err != nil && !errors.Is(err, io.EOF) || got != n {
		t.Fatalf("read %d rows: %v", got, err)
	}
	for i, row := range rows {
		for j, c := range imp.Columns {
			want, ok := wantCell(i, j)
			v := row[leaf[c]]
			if v.IsNull() == ok || ok && v.String() != want {
				t.Fatalf("row %d col %s differs", i, c)
			}
		}
	}
}

func TestWriteFailures(t *testing.T) {
	t.Parallel()
	w, cfg := setup(t, CSV)
	ctx := context.Background()

	missing := cfg
	missing.Bucket = "no-such-bucket"
	if _, err := w.Write(ctx, missing, testImport, rowsOf(10, 5)); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("missing bucket: %v", err)
	}

	bad := cfg
	bad.KeyTemplate = "{importer}/{nope}"
	if _, err := w.Write(ctx, bad, testImport, rowsOf(10, 5)); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad template: %v", err)
	}
	bad.KeyTemplate, bad.Format = "", "xlsx"
	if _, err := w.Write(ctx, bad, testImport, rowsOf(10, 5)); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad format: %v", err)
	}

	// A failing row source aborts the upload: no partial object appears.
	failing := func(yield func(rows.Batch, error) bool) {
		for b := range rowsOf(3000, 1000) {
			if !yield(b, nil) {
				return
			}
		}
		yield(rows.Batch{}, errors.New("chunk 4 unreadable"))
	}
	if _, err := w.Write(ctx, cfg, testImport, failing); err == nil {
		t.Fatal("Write with a failing source succeeded")
	}
	b, err := w.open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, err := b.Exists(ctx, "pub_7/imp_42.csv"); ok || err != nil {
		t.Errorf("partial object exists=%v err=%v", ok, err)
	}

	// The guard applies to S3 endpoints too.
	strict := NewWriter(outbound.NewPolicy(nil))
	if _, err := strict.Write(ctx, cfg, testImport, rowsOf(10, 5)); !errors.Is(err, outbound.ErrForbidden) {
		t.Errorf("loopback endpoint without allow-list: %v", err)
	}
}
