package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/rows"
)

// TestPutRowsAsPutChunk: rows sent through PutRows are answered and stored
// as the same rows sent as JSON through PutChunk — blank rows dropped,
// empty cells, invalid UTF-8 as U+FFFD — and a retry is recognised.
func TestPutRowsAsPutChunk(t *testing.T) {
	ctx := context.Background()
	e := newBoundsEnv(t, Options{})
	chunk := [][]*string{
		{sp("a"), nil, sp("c")},
		{nil, sp("  "), nil}, // blank: dropped
		{sp("bad \xff\xfe byte"), sp("é€😀"), sp("line\r\nbreak")},
		{sp(""), sp("x"), nil},
	}
	body, err := json.Marshal(map[string]any{"first_row": 0, "rows": chunk})
	if err != nil {
		t.Fatal(err)
	}
	viaJSON, viaRows := e.create(t, int64(len(chunk))), e.create(t, int64(len(chunk)))
	wantRes, err := e.svc.PutChunk(ctx, viaJSON.ImportID, viaJSON.UploadToken, 0, "", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	gotRes, err := e.svc.PutRows(ctx, viaRows.ImportID, viaRows.UploadToken, 0, 0, chunk)
	if err != nil {
		t.Fatal(err)
	}
	if gotRes != wantRes {
		t.Fatalf("PutRows answered %+v, PutChunk %+v", gotRes, wantRes)
	}
	again, err := e.svc.PutRows(ctx, viaRows.ImportID, viaRows.UploadToken, 0, 0, chunk)
	if err != nil || !again.Duplicate || again.Rows != gotRes.Rows {
		t.Fatalf("retry: %+v %v", again, err)
	}
	changed := slices.Clone(chunk)
	changed[0] = []*string{sp("A"), nil, sp("c")}
	if _, err := e.svc.PutRows(ctx, viaRows.ImportID, viaRows.UploadToken, 0, 0, changed); code(err) != "chunk_conflict" {
		t.Fatalf("a different chunk 0: %v, want chunk_conflict", err)
	}
	req := CompleteRequest{Chunks: 1, Rows: int64(len(chunk))}
	for _, im := range []CreateResponse{viaJSON, viaRows} {
		if _, err := e.svc.Complete(ctx, im.ImportID, im.UploadToken, req); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := storedRows(t, e, viaRows.ImportID), storedRows(t, e, viaJSON.ImportID); got != want {
		t.Fatalf("PutRows stored\n%s\nPutChunk stored\n%s", got, want)
	}
}

func storedRows(t *testing.T, e *boundsEnv, importID string) string {
	t.Helper()
	ex, err := rows.New(rows.Options{Store: e.st, Vault: e.svc.o.Vault, Bucket: e.svc.o.Bucket}).OpenExport(context.Background(), e.orgID, importID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = ex.Each(context.Background(), func(rs [][]*string) error {
		for _, r := range rs {
			var cells []string
			for _, c := range r {
				if c == nil {
					cells = append(cells, "<nil>")
				} else {
					cells = append(cells, fmt.Sprintf("%q", *c))
				}
			}
			out = append(out, fmt.Sprint(cells))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(out)
}

// TestPutRowsRefuses: PutRows keeps PutChunk's bounds on what a chunk holds.
func TestPutRowsRefuses(t *testing.T) {
	e := newBoundsEnv(t, Options{MaxChunkRows: 2})
	im := e.create(t, 10)
	row := []*string{sp("a"), sp("b"), sp("c")}
	for _, tc := range []struct {
		name     string
		n        int
		firstRow int64
		rows     [][]*string
		code     string
	}{
		{"too many rows", 0, 0, [][]*string{row, row, row}, "chunk_too_many_rows"},
		{"short row", 0, 0, [][]*string{row, row[:2]}, "malformed_chunk"},
		{"negative first row", 0, -1, [][]*string{row}, "malformed_chunk"},
		{"bad chunk number", -1, 0, [][]*string{row}, "bad_chunk_number"},
		{"wrong token", 0, 0, [][]*string{row}, "bad_upload_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := im.UploadToken
			if tc.code == "bad_upload_token" {
				token = "nope"
			}
			_, err := e.svc.PutRows(context.Background(), im.ImportID, token, tc.n, tc.firstRow, tc.rows)
			if code(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}

// The replacement of invalid UTF-8 is encoding/json's (so PutChunk's, for a
// chunk the widget encodes), the library as the oracle.
func FuzzReplaceInvalid(f *testing.F) {
	for _, s := range []string{"", "plain", "é€😀", "\xff\xfe bad", "a\xc3", "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		oracle, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(oracle, &want); err != nil {
			t.Fatal(err)
		}
		if got := replaceInvalid(s); got != want {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// TestHashRows: PutRows' hash is the SHA-256 of the frame it has always
// hashed (written out here in full, as the first release built it), so that
// a chunk stored before the hash was streamed is still recognised when it
// is sent again; and its UTF-8 verdict is utf8.ValidString's on every cell,
// whatever the cell's length and where its first non-ASCII byte is — a
// cell ending in "\xc3" before the long cell, whose length starts with
// 0x81, would read as "Á" if the block were checked whole.
func TestHashRows(t *testing.T) {
	frame := func(firstRow int64, rs [][]*string) ([]byte, bool) {
		valid := true
		dst := binary.AppendUvarint(nil, uint64(firstRow))
		for _, row := range rs {
			for _, c := range row {
				if c == nil {
					dst = append(dst, 0)
					continue
				}
				dst = binary.AppendUvarint(dst, uint64(len(*c))+1)
				dst = append(dst, *c...)
				valid = valid && utf8.ValidString(*c)
			}
		}
		return dst, valid
	}
	long := strings.Repeat("0123456789abcdef", 5000) // past the flush size in one cell
	var cells []string
	for _, tail := range []string{"", "é", "\xff", "\xc3", "€😀", "\x80abc"} {
		for n := range 20 {
			cells = append(cells, strings.Repeat("a", n)+tail, tail+strings.Repeat("b", n))
		}
	}
	h := sha256.New()
	var buf []byte
	for i, c := range append(cells, long, long+"\xfe") {
		rs := [][]*string{{sp("ok"), nil, sp(c)}, {sp(long), sp(""), nil}}
		want, wantValid := frame(int64(i)*1000, rs)
		var sum []byte
		var valid bool
		buf, sum, valid = hashRows(h, buf, int64(i)*1000, rs)
		if wantSum := sha256.Sum256(want); !bytes.Equal(sum, wantSum[:]) || valid != wantValid {
			t.Fatalf("cell %q: hash %x valid %v, want %x %v", c, sum, valid, wantSum, wantValid)
		}
	}
}

// TestColumnsToTemplateOrder: a chunk's cells are stored in the template's
// column order whichever columns the upload named and in whichever order:
// all in order (the rows are handed to the engine as they are), a prefix
// in order, fewer and reordered.
func TestColumnsToTemplateOrder(t *testing.T) {
	ctx := context.Background()
	e := newBoundsEnv(t, Options{})
	for _, tc := range []struct {
		columns []string
		want    string
	}{
		{[]string{"a", "b", "c"}, `[["1" "2" "3"]]`},
		{[]string{"a", "b"}, `[["1" "2" <nil>]]`},
		{[]string{"c", "a"}, `[["2" <nil> "1"]]`},
	} {
		req := CreateRequest{Importer: e.importer.Key, Columns: tc.columns, Rows: 1}
		req.Source.Format = "csv"
		up, err := e.svc.Create(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		row := []*string{sp("1"), sp("2"), sp("3")}[:len(tc.columns)]
		if _, err := e.svc.PutRows(ctx, up.ImportID, up.UploadToken, 0, 0, [][]*string{row}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Complete(ctx, up.ImportID, up.UploadToken, CompleteRequest{Chunks: 1, Rows: 1}); err != nil {
			t.Fatal(err)
		}
		if got := storedRows(t, e, up.ImportID); got != tc.want {
			t.Errorf("columns %v stored %s, want %s", tc.columns, got, tc.want)
		}
	}
}
