package s3

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/e2e"
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

// sealedBatches seals the rows of rowsOf(n, size) to recipient batch by
// batch, as the browser seals an e2e import's chunks.
func sealedBatches(t *testing.T, recipient age.Recipient, n, size int) iter.Seq2[rows.Batch, error] {
	t.Helper()
	var sealed []rows.Batch
	for b := range rowsOf(n, size) {
		ct, err := e2e.Seal(e2e.Chunk{FirstRow: int64(b.FirstRow), Columns: testImport.Columns, Rows: b.Rows}, recipient)
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, rows.Batch{Index: b.Index, FirstRow: b.FirstRow, Ciphertext: ct, Count: len(b.Rows)})
	}
	return func(yield func(rows.Batch, error) bool) {
		for _, b := range sealed {
			if !yield(b, nil) {
				return
			}
		}
	}
}

// TestWriteAge (issue 17): an end-to-end encrypted import becomes one .age
// object per batch, the ciphertext byte for byte: filippo.io/age and the
// age command-line tool open every object to exactly its rows, and no
// object holds a cell in the clear. A batch without ciphertext is refused,
// never written.
func TestWriteAge(t *testing.T) {
	t.Parallel()
	w, cfg := setup(t, Parquet) // the format does not apply to age objects
	id, _ := age.GenerateX25519Identity()
	imp := testImport
	imp.Encrypted = true
	const total, size = 2500, 1000
	prefix, err := w.Write(context.Background(), cfg, imp, sealedBatches(t, id.Recipient(), total, size))
	if err != nil {
		t.Fatal(err)
	}
	if prefix != "pub_7/imp_42/" {
		t.Fatalf("prefix %q", prefix)
	}
	b, err := w.open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var keys []string
	for obj, err := range listAll(b, prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj)
	}
	if want := []string{"pub_7/imp_42/000000.age", "pub_7/imp_42/000001.age", "pub_7/imp_42/000002.age"}; !slices.Equal(keys, want) {
		t.Fatalf("objects %v, want %v", keys, want)
	}
	ageBin, ageErr := exec.LookPath("age")
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, key := range keys {
		attrs, err := b.Attributes(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		first := strconv.Itoa(i * size)
		if attrs.ContentType != AgeContentType || attrs.Metadata["first-row"] != first || attrs.Metadata["import-id"] != imp.ID {
			t.Errorf("%s: content type %q, metadata %v", key, attrs.ContentType, attrs.Metadata)
		}
		data := read(t, w, cfg, key)
		if bytes.Contains(data, []byte(`say "hi", Zoë`)) {
			t.Fatalf("%s holds a cell in the clear", key)
		}
		c, err := e2e.Open(data, id)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		checkChunk(t, key, c, i*size, min(size, total-i*size))
		if ageErr != nil {
			continue
		}
		cmd := exec.Command(ageBin, "-d", "-i", keyFile)
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("age -d %s: %v", key, err)
		}
		gz, err := gzip.NewReader(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		var viaTool e2e.Chunk
		if err := json.NewDecoder(gz).Decode(&viaTool); err != nil {
			t.Fatal(err)
		}
		checkChunk(t, key+" (age tool)", viaTool, i*size, min(size, total-i*size))
	}
	if ageErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the age command is missing in CI (.ci/run installs the Debian package age)")
		}
		t.Log("the age command is not installed: objects opened with filippo.io/age only")
	}

	// Rows where ciphertext belongs: refused, nothing written.
	plain := imp
	plain.ID = "imp_plain"
	if _, err := w.Write(context.Background(), cfg, plain, rowsOf(10, 5)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("plaintext batch of an encrypted import: %v", err)
	}
	for obj := range listAll(b, "pub_7/imp_plain") {
		t.Fatalf("object %s written from a plaintext batch", obj)
	}
}

// listAll yields the keys of the bucket's objects under prefix, in order.
func listAll(b *blob.Bucket, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		it := b.List(&blob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(context.Background())
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(obj.Key, err) || err != nil {
				return
			}
		}
	}
}

// checkChunk compares an opened object with rows [first, first+n) of rowsOf.
func checkChunk(t *testing.T, name string, c e2e.Chunk, first, n int) {
	t.Helper()
	if c.FirstRow != int64(first) || len(c.Rows) != n || !slices.Equal(c.Columns, testImport.Columns) {
		t.Fatalf("%s: first row %d, %d rows, columns %v", name, c.FirstRow, len(c.Rows), c.Columns)
	}
	for i, row := range c.Rows {
		for j, cell := range row {
			if want, ok := wantCell(first+i, j); (cell != nil) != ok || cell != nil && *cell != want {
				t.Fatalf("%s: row %d col %d differs", name, first+i, j)
			}
		}
	}
}
