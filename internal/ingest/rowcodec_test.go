package ingest

import (
	"reflect"
	"testing"
)

func TestRowCodecRoundTrip(t *testing.T) {
	t.Parallel()
	rows := [][]*string{{sp("a"), nil, sp("")}, {sp("é😀\x00"), sp("x,y"), nil}}
	errs := []storedError{{row: 1, col: 2, code: "required"}, {row: 0, col: 0, code: "too_long", params: map[string]string{"max": "3"}}}
	b := encodeRows(nil, 3, rows, errs)
	w, gotRows, gotErrs, err := decodeRows(b)
	if err != nil {
		t.Fatal(err)
	}
	if w != 3 || !reflect.DeepEqual(dump(ChunkBody{Rows: gotRows}), dump(ChunkBody{Rows: rows})) || !reflect.DeepEqual(gotErrs, errs) {
		t.Fatalf("round trip changed data: %d %v %v", w, dump(ChunkBody{Rows: gotRows}), gotErrs)
	}
	// Every truncation is refused, never a panic.
	for i := range len(b) {
		if _, _, _, err := decodeRows(b[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
}

func FuzzDecodeRows(f *testing.F) {
	f.Add(encodeRows(nil, 2, [][]*string{{sp("a"), nil}}, []storedError{{row: 0, col: 1, code: "x"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, rows, errs, err := decodeRows(b)
		if err != nil {
			return
		}
		again := encodeRows(nil, w, rows, errs)
		if _, rows2, _, err := decodeRows(again); err != nil || !reflect.DeepEqual(dump(ChunkBody{Rows: rows}), dump(ChunkBody{Rows: rows2})) {
			t.Fatalf("re-encoding changed rows: %v", err)
		}
	})
}
