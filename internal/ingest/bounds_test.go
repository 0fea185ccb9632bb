package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/intakehq/intake/internal/store"
)

// boundsEnv is a Service on real SQLite, a file blob store and a local
// master key, with an importer of three text columns.
type boundsEnv struct {
	svc      *Service
	st       *store.Store
	orgID    string
	importer store.Importer
}

func newBoundsEnv(t *testing.T, o Options) *boundsEnv {
	t.Helper()
	ctx := context.Background()
	st, v, b := openParts(t, t.TempDir(), "")
	org, err := st.CreateOrgWithOwner(ctx, "org", "o@example.com", "hash", "ik_bounds", []byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := st.CreateImporter(ctx, org.ID, store.Importer{Name: "b", Mode: store.ModeStored, RetentionDays: 30,
		Template: []byte(`{"columns":[{"key":"a","type":"text"},{"key":"b","type":"text"},{"key":"c","type":"text"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.Vault, o.Bucket, o.Logger = st, v, b, slog.New(slog.DiscardHandler)
	return &boundsEnv{svc: New(o), st: st, orgID: org.ID, importer: im}
}

func (e *boundsEnv) create(t *testing.T, rows int64) CreateResponse {
	t.Helper()
	req := CreateRequest{Importer: e.importer.Key, Columns: []string{"a", "b", "c"}, Rows: rows}
	req.Source.Format = "csv"
	resp, err := e.svc.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// withTrailerSize is a gzip body whose trailer states size instead of the
// size it inflates to.
func withTrailerSize(body []byte, size uint32) []byte {
	out := bytes.Clone(body)
	binary.LittleEndian.PutUint32(out[len(out)-4:], size)
	return out
}

// nullRows is a chunk of n rows of three nulls, sep between rows.
func nullRows(first, n int, sep string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"first_row":%d,"rows":[`, first)
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(`[null,"x",null]`)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// TestCreateBoundsAnnouncedRows: an import may announce no more rows than
// the server-wide bound, nor than its importer's max_rows when that is lower.
func TestCreateBoundsAnnouncedRows(t *testing.T) {
	t.Parallel()
	e := newBoundsEnv(t, Options{MaxImportRows: 1000})
	ctx := context.Background()
	limited := e.importer
	limited.MaxRows = 500
	limited, err := e.st.CreateImporter(ctx, e.orgID, limited)
	if err != nil {
		t.Fatal(err)
	}
	roomy := e.importer
	roomy.MaxRows = 5000 // above the server's bound: the server's wins
	roomy, err = e.st.CreateImporter(ctx, e.orgID, roomy)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		importer string
		rows     int64
		want     string // message substring; "" for success
	}{
		{"at the server bound", e.importer.Key, 1000, ""},
		{"past the server bound", e.importer.Key, 1001, "rows must be from 0 to 1000"},
		{"the amplification request", e.importer.Key, 1_000_000_000_000, "rows must be from 0 to 1000"},
		{"at the importer bound", limited.Key, 500, ""},
		{"past the importer bound", limited.Key, 501, "rows must be from 0 to 500"},
		{"importer above the server", roomy.Key, 1001, "rows must be from 0 to 1000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := CreateRequest{Importer: c.importer, Columns: []string{"a"}, Rows: c.rows}
			req.Source.Format = "csv"
			_, err := e.svc.Create(ctx, req)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ie *Error
			if !errors.As(err, &ie) || ie.Code != "too_many_rows" || !strings.Contains(ie.Message, c.want) {
				t.Fatalf("err = %v, want too_many_rows %q", err, c.want)
			}
		})
	}
}

// TestChunkBounds: rows and cells per chunk, the inflated size (as the gzip
// trailer states it and as it turns out), each refused with its own code
// and a message that quotes nothing sent.
func TestChunkBounds(t *testing.T) {
	t.Parallel()
	e := newBoundsEnv(t, Options{MaxChunkRows: 100, MaxChunkCells: 240, MaxChunkBytes: 64 << 10, MaxInflatedBytes: 256 << 10})
	ctx := context.Background()
	big := bytes.Repeat([]byte(" "), 300<<10) // inflates past 256 KiB
	ok := gz(nullRows(0, 10, ","))
	// The trailer states the second member's size, which the first is under.
	twoMembers := append(gz([]byte(`{"first_row":0,`)), gz([]byte(`"rows":[]                            }`))...)
	for _, c := range []struct {
		name     string
		encoding string
		body     []byte
		want     string
	}{
		{"within the bounds", "gzip", ok, ""},
		{"rows spaced out", "", nullRows(0, 80, " ,\n "), ""}, // rows apart: the count of ] still bounds them
		{"too many cells", "gzip", gz(nullRows(0, 81, ",")), "chunk_too_many_cells"},
		{"too many rows spaced out", "", nullRows(0, 81, " , "), "chunk_too_many_cells"},
		{"trailer states too much", "gzip", gz(big), "chunk_too_large"},
		{"trailer states too little", "gzip", withTrailerSize(gz(big), 1000), "chunk_too_large"},
		{"trailer states too much, lying", "gzip", withTrailerSize(ok, 1<<31), "chunk_too_large"},
		{"trailer states more than there is", "gzip", withTrailerSize(ok, 100<<10), "bad_gzip"},
		{"two gzip members", "gzip", twoMembers, "bad_gzip"},
		{"bytes after the gzip member", "gzip", append(bytes.Clone(ok), ok[len(ok)-8:]...), "bad_gzip"},
		{"too short for gzip", "gzip", []byte{0x1f, 0x8b}, "bad_gzip"},
		{"over max_chunk_bytes", "", bytes.Repeat([]byte(" "), 65<<10), "chunk_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := e.create(t, 1000)
			_, err := e.svc.PutChunk(ctx, up.ImportID, up.UploadToken, 0, c.encoding, bytes.NewReader(c.body))
			if got := code(err); got != c.want {
				t.Fatalf("PutChunk: %q (%v), want %q", got, err, c.want)
			}
			if strings.Contains(fmt.Sprint(err), `"x"`) {
				t.Fatalf("error quotes a cell: %v", err)
			}
		})
	}

	// Rows alone: one column, 101 rows.
	one, err := e.st.CreateImporter(ctx, e.orgID, store.Importer{Name: "one", Mode: store.ModeStored, RetentionDays: 30,
		Template: []byte(`{"columns":[{"key":"a","type":"text"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	req := CreateRequest{Importer: one.Key, Columns: []string{"a"}, Rows: 1000}
	req.Source.Format = "csv"
	up, err := e.svc.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rows := `{"first_row":0,"rows":[` + strings.TrimSuffix(strings.Repeat(`["v"],`, 101), ",") + `]}`
	if _, err := e.svc.PutChunk(ctx, up.ImportID, up.UploadToken, 0, "", strings.NewReader(rows)); code(err) != "chunk_too_many_rows" {
		t.Fatalf("101 rows: %v, want chunk_too_many_rows", err)
	}
}

// TestChunkBusy: a chunk that cannot get its share of the decode memory
// within the wait is refused with KindBusy and a Retry-After, and goes
// through once memory is free again.
func TestChunkBusy(t *testing.T) {
	t.Parallel()
	e := newBoundsEnv(t, Options{DecodeMemory: 16 << 20, DecodeWait: 50 * time.Millisecond})
	ctx := context.Background()
	up := e.create(t, 10)
	held, err := e.svc.memory.reserve(ctx, 16<<20)
	if err != nil || held != 16<<20 {
		t.Fatalf("reserve the whole budget: %d %v", held, err)
	}
	body := gz(nullRows(0, 10, ","))
	start := time.Now()
	_, err = e.svc.PutChunk(ctx, up.ImportID, up.UploadToken, 0, "gzip", bytes.NewReader(body))
	var ie *Error
	if !errors.As(err, &ie) || ie.Kind != KindBusy || ie.Code != "server_busy" || ie.RetryAfter != time.Second {
		t.Fatalf("PutChunk with no memory free: %v, want server_busy with RetryAfter", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("refused after %v, want after the 50ms wait", d)
	}
	e.svc.memory.release(held)
	if res, err := e.svc.PutChunk(ctx, up.ImportID, up.UploadToken, 0, "gzip", bytes.NewReader(body)); err != nil || res.Rows != 10 {
		t.Fatalf("PutChunk once memory is free: %+v %v", res, err)
	}
	// Every reservation was given back.
	if got, err := e.svc.memory.reserve(ctx, 16<<20); err != nil || got != 16<<20 {
		t.Fatalf("budget after the chunks: %d %v", got, err)
	}
}

// TestMemoryBudget: reservations wait for each other, one larger than the
// budget takes all of it, a smaller one is not held up behind a larger one
// that waits, and a cancelled caller gets its own error rather than errBusy.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	b := newMemoryBudget(100, 20*time.Millisecond)
	ctx := context.Background()
	n, err := b.reserve(ctx, 1000)
	if err != nil || n != 100 {
		t.Fatalf("oversized reservation: %d %v, want the whole budget", n, err)
	}
	if _, err := b.reserve(ctx, 1); !errors.Is(err, errBusy) {
		t.Fatalf("reserve from a full budget: %v, want errBusy", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.reserve(cctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("reserve, cancelled: %v", err)
	}
	done := make(chan int64)
	go func() {
		n, _ := b.reserveWithin(ctx, 60, 5*time.Second)
		done <- n
	}()
	time.Sleep(10 * time.Millisecond)
	b.release(n)
	if got := <-done; got != 60 {
		t.Fatalf("waiting reservation got %d", got)
	}
	// 40 left: a large reservation waits, a small one that fits goes ahead.
	large := make(chan error)
	go func() {
		_, err := b.reserveWithin(ctx, 50, 200*time.Millisecond)
		large <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if n, err := b.reserve(ctx, 40); err != nil || n != 40 {
		t.Fatalf("40 of the 40 left, behind a waiting 50: %d %v", n, err)
	}
	if err := <-large; !errors.Is(err, errBusy) {
		t.Fatalf("50 of the 0 left: %v, want errBusy", err)
	}
	b.release(100)
	if n, err := b.reserve(ctx, 100); err != nil || n != 100 {
		t.Fatalf("whole budget once all is given back: %d %v", n, err)
	}
}

// TestChunkCostBoundsDecoding: what chunkCost reserves covers what
// decoding a chunk of that size and width allocates, for the shapes that
// cost the most per byte (empty strings, nulls) and ordinary ones, with
// rows separated by a comma alone or with whitespace around it.
func TestChunkCostBoundsDecoding(t *testing.T) {
	for _, c := range []struct {
		name  string
		width int
		cell  string
		sep   string
	}{
		{"empty strings, 1 column", 1, `""`, ","},
		{"empty strings, 3 columns", 3, `""`, ","},
		{"nulls, 3 columns", 3, `null`, ","},
		{"empty strings spaced, 2 columns", 2, `""`, " , "},
		{"words, 8 columns", 8, `"some words here"`, ","},
		{"escapes, 2 columns", 2, `"a\nb\u00e9c"`, ","},
		{"wide, 500 columns", 500, `""`, ","},
	} {
		t.Run(c.name, func(t *testing.T) {
			maxRows := 10_000
			row := "[" + strings.TrimSuffix(strings.Repeat(c.cell+",", c.width), ",") + "]"
			n := min(maxRows, (1<<20)/len(row))
			body := []byte(`{"first_row":0,"rows":[` + strings.TrimSuffix(strings.Repeat(row+c.sep, n), c.sep) + `]}`)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			chunk, err := decodeChunk(body, c.width, &cellTable{}, maxRows)
			runtime.ReadMemStats(&after)
			if err != nil || len(chunk.Rows) != n {
				t.Fatalf("decode: %d rows, %v", len(chunk.Rows), err)
			}
			decoded := int64(after.TotalAlloc - before.TotalAlloc)
			// The validated table is one pointer a cell and a slice a row.
			validated := int64(n*c.width*8 + n*24)
			cost := chunkCost(int64(len(body)), 0, c.width, maxRows)
			t.Logf("cost %d, body %d, decoding %d, validated %d", cost, len(body), decoded, validated)
			if need := 2*int64(len(body)) + decoded + validated; cost < need { // body as sent, sealed rows
				t.Fatalf("chunkCost %d < %d (body %d, decoding %d, validated %d)", cost, need, len(body), decoded, validated)
			}
		})
	}
}

// TestDecodeRowLimit: the decoder stops at the row past its bound, and
// sizes its arrays for no more than the bound whatever the body claims.
func TestDecodeRowLimit(t *testing.T) {
	t.Parallel()
	body := nullRows(0, 1000, ",")
	var tab cellTable
	if _, err := decodeChunk(body, 3, &tab, 10); !errors.Is(err, errRowLimit) {
		t.Fatalf("1000 rows, bound 10: %v", err)
	}
	if cap(tab.cells) > 11*3 {
		t.Fatalf("decoder reserved %d cells for a bound of 10 rows", cap(tab.cells))
	}
	if c, err := decodeChunk(body, 3, &tab, 1000); err != nil || len(c.Rows) != 1000 {
		t.Fatalf("1000 rows, bound 1000: %d %v", len(c.Rows), err)
	}
}

// TestScratchNotPooledWhenLarge: a scratch that grew for an exceptional
// chunk, in its byte buffers or in its cell tables, is not kept for the
// next chunk.
func TestScratchNotPooledWhenLarge(t *testing.T) {
	for _, c := range []struct {
		name string
		grow func(*scratch)
	}{
		{"inflated buffer", func(sc *scratch) { sc.inflated = make([]byte, maxPooledBytes+1) }},
		{"decoded cells", func(sc *scratch) { sc.dec.cells = make([]string, maxPooledBytes/16+1) }},
		{"validated pointers", func(sc *scratch) { sc.val.ptrs = make([]*string, maxPooledBytes/8+1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := new(scratch)
			c.grow(sc)
			if sc.size() <= maxPooledBytes {
				t.Fatalf("size %d does not count the growth", sc.size())
			}
			sc.release()
			for range 4 {
				if got := getScratch(); got == sc {
					t.Fatal("a scratch past maxPooledBytes came back from the pool")
				}
			}
		})
	}
}
