package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// blob store for the test services

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
	"github.com/intakehq/intake/internal/vault"
)

const uniqueTemplate = `{"columns":[{"key":"id","type":"text","unique":true},{"key":"email","type":"email","unique":true,"unique_ignore_case":true},{"key":"name","type":"text"}]}`

// replicas are Services sharing one database, one blob store and one master
// key, each with its own store (its own pools), vault and bucket: several
// `intake serve` on one PostgreSQL, or processes one after another on one
// SQLite file.
type replicas struct {
	svcs   []*Service
	reader *rows.Reader
	orgID  string
	// importers by allow_invalid
	keys map[bool]string
}

func newReplicas(t testing.TB, pgURL string, n int) *replicas {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	r := &replicas{keys: map[bool]string{}}
	for i := range n {
		st, v, b := openParts(t, dir, pgURL)
		if i == 0 {
			org, err := st.CreateOrgWithOwner(ctx, "org", "o@example.com", "hash", "ik_unique", []byte("key"))
			if err != nil {
				t.Fatal(err)
			}
			r.orgID = org.ID
			for _, allow := range []bool{false, true} {
				im, err := st.CreateImporter(ctx, org.ID, store.Importer{Name: fmt.Sprint(allow), Mode: store.ModeStored, RetentionDays: 30,
					AllowInvalid: allow, Template: []byte(uniqueTemplate)})
				if err != nil {
					t.Fatal(err)
				}
				r.keys[allow] = im.Key
			}
			r.reader = rows.New(rows.Options{Store: st, Vault: v, Bucket: b})
		}
		r.svcs = append(r.svcs, New(Options{Store: st, Vault: v, Bucket: b, Logger: slog.New(slog.DiscardHandler)}))
	}
	return r
}

// openParts opens what a Service needs, closed at the test's end: the store
// (SQLite in dir, or PostgreSQL at pgURL when set), a vault with a local
// master key in dir and a file blob store in dir. Parts opened twice on one
// dir share their data, as replicas do.
func openParts(t testing.TB, dir, pgURL string) (*store.Store, *vault.Vault, *blob.Bucket) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "intake.db"), PostgresURL: pgURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	b, err := blob.OpenBucket(ctx, "file://"+filepath.ToSlash(dir)+"?create_dir=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return st, v, b
}

// backendsOf runs fn on SQLite and, when the test server is set, on
// PostgreSQL.
func backendsOf(t *testing.T, fn func(t *testing.T, pgURL string)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		if url := storetest.PostgresURL(t); url != "" {
			fn(t, url)
		}
	})
}

type cell struct {
	Row    int64
	Column string
}

// uniqueRows is 40 rows in 4 chunks of 10: ids and emails repeat across
// chunks and within one, and wantDup lists the cells that are duplicates
// when the first row holding a value keeps it.
func uniqueRows() (chunks [][][]*string, wantDup []cell) {
	s := func(v string) *string { return &v }
	var all [][]*string
	for i := range 40 {
		id, email := fmt.Sprintf("id%d", i), fmt.Sprintf("u%d@example.com", i)
		switch i {
		case 15: // id of row 3 (chunk 0), in chunk 1
			id = "id3"
		case 16, 17: // email of row 36 (chunk 3), in chunk 1, twice: row 16 keeps it
			email = "U36@example.com"
		case 25: // both of row 5
			id, email = "id5", "u5@example.com"
		case 39: // id of row 15, itself a duplicate: still a duplicate of row 3
			id = "id3"
		}
		all = append(all, []*string{s(id), s(email), s("n")})
	}
	wantDup = []cell{{15, "id"}, {17, "email"}, {25, "email"}, {25, "id"}, {36, "email"}, {39, "id"}}
	for start := 0; start < len(all); start += 10 {
		chunks = append(chunks, all[start:start+10])
	}
	return chunks, wantDup
}

func chunkJSON(first int, rs [][]*string) []byte {
	b, _ := json.Marshal(map[string]any{"first_row": first, "rows": rs})
	return b
}

// upload creates an import on svcs[0] and sends chunk order[i] to replica
// i % len(svcs), concurrently when parallel is set.
func (r *replicas) upload(t *testing.T, allowInvalid, parallel bool, order []int) CreateResponse {
	t.Helper()
	ctx := context.Background()
	chunks, _ := uniqueRows()
	req := CreateRequest{Importer: r.keys[allowInvalid], Columns: []string{"id", "email", "name"}, Rows: 40}
	req.Source.Format = "csv"
	up, err := r.svcs[0].Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, n := range order {
		put := func() {
			if _, err := r.svcs[i%len(r.svcs)].PutChunk(ctx, up.ImportID, up.UploadToken, n, "", bytes.NewReader(chunkJSON(10*n, chunks[n]))); err != nil {
				t.Errorf("chunk %d: %v", n, err)
			}
		}
		if parallel {
			wg.Go(put)
		} else {
			put()
		}
	}
	wg.Wait()
	return up
}

// TestUniqueAcrossChunksAndReplicas: chunks of one import sent to two
// replicas alternately, in several orders, sequentially and at once, give
// the same duplicates: every later row holding a value of a row before it,
// whichever chunk arrived first. The stored errors, the counts of the
// import, the completion's answer and its import-log event all hold them.
func TestUniqueAcrossChunksAndReplicas(t *testing.T) {
	t.Parallel()
	backendsOf(t, func(t *testing.T, pgURL string) {
		r := newReplicas(t, pgURL, 2)
		ctx := context.Background()
		_, wantDup := uniqueRows()
		wantRows := map[int64]bool{}
		for _, c := range wantDup {
			wantRows[c.Row] = true
		}
		for _, tc := range []struct {
			order    []int
			parallel bool
		}{{[]int{0, 1, 2, 3}, false}, {[]int{3, 2, 1, 0}, false}, {[]int{1, 3, 0, 2}, false}, {[]int{2, 0, 3, 1}, true}} {
			up := r.upload(t, true, tc.parallel, tc.order)
			res, err := r.svcs[1].Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 4, Rows: 40})
			if err != nil {
				t.Fatalf("order %v: complete: %v", tc.order, err)
			}
			if res.RowsWithErrors != int64(len(wantRows)) {
				t.Errorf("order %v: %d rows with errors, want %d", tc.order, res.RowsWithErrors, len(wantRows))
			}
			page, err := r.reader.Page(ctx, r.orgID, up.ImportID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []cell
			for _, e := range page.Errors {
				if e.Code != "duplicate" {
					t.Errorf("order %v: row %d %s: %s", tc.order, e.Row, e.Column, e.Code)
				}
				got = append(got, cell{e.Row, e.Column})
			}
			slices.SortFunc(got, cmpCell)
			if !slices.Equal(got, wantDup) {
				t.Errorf("order %v: duplicates %v, want %v", tc.order, got, wantDup)
			}
			im, err := r.svcs[0].o.Store.ImportByID(ctx, up.ImportID)
			if err != nil {
				t.Fatal(err)
			}
			if im.RowsWithErrors != int64(len(wantRows)) || len(page.Rows) != 40 {
				t.Errorf("order %v: import counts %d rows with errors, %d rows read", tc.order, im.RowsWithErrors, len(page.Rows))
			}
			log, err := r.svcs[0].o.Store.ImportLog(ctx, r.orgID, up.ImportID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var completed struct {
				RowsWithErrors int64 `json:"rows_with_errors"`
			}
			for _, e := range log {
				if e.Kind == importlog.KindCompleted {
					if err := json.Unmarshal(e.Data, &completed); err != nil {
						t.Fatal(err)
					}
				}
			}
			if completed.RowsWithErrors != int64(len(wantRows)) {
				t.Errorf("order %v: import.completed counts %d rows with errors", tc.order, completed.RowsWithErrors)
			}
			// A retried completion is answered the same, and adds nothing.
			again, err := r.svcs[0].Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 4, Rows: 40})
			if err != nil || again.RowsWithErrors != res.RowsWithErrors {
				t.Errorf("order %v: retried completion %+v %v", tc.order, again, err)
			}
		}
	})
}

func cmpCell(a, b cell) int {
	if a.Row != b.Row {
		return int(a.Row - b.Row)
	}
	switch {
	case a.Column < b.Column:
		return -1
	case a.Column > b.Column:
		return 1
	}
	return 0
}

// TestUniqueRefusedAtCompletion: an importer that refuses invalid rows
// refuses the completion of an import whose chunks hold each other's
// values, naming every duplicate cell, and the import stays open.
func TestUniqueRefusedAtCompletion(t *testing.T) {
	t.Parallel()
	backendsOf(t, func(t *testing.T, pgURL string) {
		r := newReplicas(t, pgURL, 2)
		ctx := context.Background()
		_, wantDup := uniqueRows()
		up := r.upload(t, false, false, []int{3, 0, 2})
		// Chunk 1 holds rows 16 and 17 with one email: refused when sent.
		chunks, _ := uniqueRows()
		_, err := r.svcs[1].PutChunk(ctx, up.ImportID, up.UploadToken, 1, "", bytes.NewReader(chunkJSON(10, chunks[1])))
		var e *Error
		if !errors.As(err, &e) || e.Code != "invalid_rows" || len(e.Details) != 1 || e.Details[0].Row != 17 {
			t.Fatalf("chunk 1 with a duplicate inside it: %v %+v", err, e)
		}
		_, err = r.svcs[0].Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 4, Rows: 40})
		if !errors.As(err, &e) || e.Code != "chunks_missing" {
			t.Fatalf("completion without chunk 1: %v", err)
		}
		// Without chunk 1's own duplicate, rows of chunks 1, 2 and 3 still
		// hold values of rows before them: refused at completion.
		fixed := slices.Clone(chunks[1])
		v := "u17@example.com"
		fixed[7] = []*string{fixed[7][0], &v, fixed[7][2]}
		if _, err := r.svcs[1].PutChunk(ctx, up.ImportID, up.UploadToken, 1, "", bytes.NewReader(chunkJSON(10, fixed))); err != nil {
			t.Fatal(err)
		}
		_, err = r.svcs[0].Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 4, Rows: 40})
		if !errors.As(err, &e) || e.Code != "invalid_rows" {
			t.Fatalf("completion with duplicates across chunks: %v", err)
		}
		var got []cell
		for _, d := range e.Details {
			got = append(got, cell{d.Row, d.Column})
		}
		slices.SortFunc(got, cmpCell)
		want := slices.DeleteFunc(slices.Clone(wantDup), func(c cell) bool { return c.Row == 17 })
		if !slices.Equal(got, want) {
			t.Errorf("refused cells %v, want %v", got, want)
		}
		im, err := r.svcs[0].o.Store.ImportByID(ctx, up.ImportID)
		if err != nil || im.Status != store.StatusUploading {
			t.Fatalf("import after a refused completion: %s %v", im.Status, err)
		}
	})
}

// TestDuplicatesOverlay: the duplicates found at completion are recorded as
// the chunk's sealed overlay, its blob untouched, and readers see them
// among the chunk's errors at the rows as sent, past a blank row dropped
// from the chunk; a row with an error already is counted once.
func TestDuplicatesOverlay(t *testing.T) {
	t.Parallel()
	backendsOf(t, func(t *testing.T, pgURL string) {
		r := newReplicas(t, pgURL, 1)
		ctx := context.Background()
		s := func(v string) *string { return &v }
		req := CreateRequest{Importer: r.keys[true], Columns: []string{"id", "email", "name"}, Rows: 5}
		req.Source.Format = "csv"
		up, err := r.svcs[0].Create(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		chunks := [][][]*string{
			{{s("a0"), s("u0@example.com"), s("n")}, {s("a1"), s("u1@example.com"), s("n")}},
			{{s(""), s(""), s("")}, {s("a1"), s("not an email"), s("n")}, {s("a0"), s("u2@example.com"), s("n")}},
		}
		for n, first := range []int{0, 2} {
			if _, err := r.svcs[0].PutChunk(ctx, up.ImportID, up.UploadToken, n, "", bytes.NewReader(chunkJSON(first, chunks[n]))); err != nil {
				t.Fatal(err)
			}
		}
		before, _, err := r.svcs[0].o.Store.StoredChunk(ctx, up.ImportID, 1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.svcs[0].Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 2, Rows: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsWithErrors != 2 {
			t.Errorf("%d rows with errors, want 2", res.RowsWithErrors)
		}
		after, _, err := r.svcs[0].o.Store.StoredChunk(ctx, up.ImportID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if after.BlobKey != before.BlobKey || len(after.Duplicates) == 0 || after.RowsWithErrors != 2 || after.ErrorColumns["id"] != 2 {
			t.Errorf("chunk 1 recorded as %+v, was %+v", after, before)
		}
		page, err := r.reader.Page(ctx, r.orgID, up.ImportID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		type coded struct {
			Row          int64
			Column, Code string
		}
		var got []coded
		for _, e := range page.Errors {
			got = append(got, coded{e.Row, e.Column, e.Code})
		}
		want := []coded{{3, "id", "duplicate"}, {3, "email", "invalid_email"}, {4, "id", "duplicate"}}
		if !slices.Equal(got, want) || !slices.Equal(page.RowNumbers, []int64{0, 1, 3, 4}) {
			t.Errorf("errors %v at rows %v, want %v at 0 1 3 4", got, page.RowNumbers, want)
		}
	})
}

// TestChunkClaims checks chunkClaims' table against a Go map of (column,
// value): the first row holding a value keeps it, later ones are told that
// row, the claims are the first holders in order, whether the table was
// sized for the values, too small for them (it grows), or reused.
func TestChunkClaims(t *testing.T) {
	const rows = 3000
	values := func(row int) []string { return []string{fmt.Sprint("v", row%1700), fmt.Sprint("v", row/3)} }
	// earlier is the table of an earlier chunk that held the same values.
	earlier := func(size int) []claimSlot {
		u := &chunkClaims{k0: 1, k1: 2, slots: make([]claimSlot, size)}
		for row := range 500 {
			for col, value := range values(row) {
				u.Claim(col, value, row)
			}
		}
		return u.slots
	}
	for _, tc := range []struct {
		name  string
		sized int
		slots []claimSlot
	}{
		{"sized", 2 * rows, nil},
		{"too small", 3, nil},
		{"reused", 2 * rows, earlier(16384)},
		{"reused, other size", 2 * rows, earlier(2048)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &chunkClaims{k0: 1, k1: 2, slots: claimSlots(tc.slots, tc.sized)}
			type seen struct {
				col   int
				value string
			}
			want := map[seen]int{}
			var claims []store.Claim
			for row := 1000; row < 1000+rows; row++ {
				for col, value := range values(row) {
					first, dup := u.Claim(col, value, row)
					w, ok := want[seen{col, value}]
					if !ok {
						want[seen{col, value}] = row
						w = row
						claims = append(claims, store.Claim{Col: col, Row: int64(row)})
					}
					if first != w || dup != ok {
						t.Fatalf("row %d column %d: Claim = %d, %v; want %d, %v", row, col, first, dup, w, ok)
					}
				}
			}
			if len(u.claims) != len(claims) {
				t.Fatalf("%d claims, want %d", len(u.claims), len(claims))
			}
			for i, c := range u.claims {
				if c.Col != claims[i].Col || c.Row != claims[i].Row {
					t.Fatalf("claim %d = column %d row %d, want column %d row %d", i, c.Col, c.Row, claims[i].Col, claims[i].Row)
				}
			}
		})
	}
}
