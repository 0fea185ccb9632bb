package rows

import (
	"reflect"
	"testing"
)

func sp(s string) *string { return &s }

// dump shows rows by value, so that equal cells behind different pointers
// compare equal.
func dump(rows [][]*string) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		for _, v := range r {
			if v == nil {
				out[i] = append(out[i], nil)
			} else {
				out[i] = append(out[i], *v)
			}
		}
	}
	return out
}

func TestRowCodecRoundTrip(t *testing.T) {
	t.Parallel()
	rows := [][]*string{{sp("a"), nil, sp("")}, {sp("é😀\x00"), sp("x,y"), nil}}
	errs := []StoredError{{Row: 1, Col: 2, Code: "required"}, {Row: 0, Col: 0, Code: "too_long", Params: map[string]string{"max": "3"}}}
	b := Encode(nil, 3, rows, errs)
	w, gotRows, gotErrs, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if w != 3 || !reflect.DeepEqual(dump(gotRows), dump(rows)) || !reflect.DeepEqual(gotErrs, errs) {
		t.Fatalf("round trip changed data: %d %v %v", w, dump(gotRows), gotErrs)
	}
	// Every truncation is refused, never a panic.
	for i := range len(b) {
		if _, _, _, err := decode(b[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
}

func FuzzDecodeRows(f *testing.F) {
	f.Add(Encode(nil, 2, [][]*string{{sp("a"), nil}}, []StoredError{{Row: 0, Col: 1, Code: "x"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, rows, errs, err := decode(b)
		if err != nil {
			return
		}
		again := Encode(nil, w, rows, errs)
		if _, rows2, _, err := decode(again); err != nil || !reflect.DeepEqual(dump(rows), dump(rows2)) {
			t.Fatalf("re-encoding changed rows: %v", err)
		}
	})
}
