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
	for _, blanks := range [][]int{nil, {0, 3, 4}} {
		b := Encode(nil, 3, rows, errs, blanks)
		if magic := string(b[:4]); (blanks == nil) != (magic == "IKR1") {
			t.Errorf("blanks %v written as %s", blanks, magic)
		}
		w, gotRows, gotErrs, gotBlanks, err := decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if w != 3 || !reflect.DeepEqual(dump(gotRows), dump(rows)) || !reflect.DeepEqual(gotErrs, errs) || !reflect.DeepEqual(gotBlanks, blanks) {
			t.Fatalf("round trip changed data: %d %v %v %v", w, dump(gotRows), gotErrs, gotBlanks)
		}
		// Every truncation is refused, never a panic.
		for i := range len(b) {
			if _, _, _, _, err := decode(b[:i]); err == nil {
				t.Fatalf("truncated at %d accepted", i)
			}
		}
	}
	// Stored rows 0 and 1 were sent at offsets 1 and 2 (0, 3 and 4 blank).
	if got := sentOffsets(2, []int{0, 3, 4}); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("sentOffsets = %v", got)
	}
	// A blank row past the rows as sent is corrupt.
	if _, _, _, _, err := decode(Encode(nil, 3, rows, nil, []int{4})); err == nil {
		t.Error("a blank row past the chunk was accepted")
	}
}

func FuzzDecodeRows(f *testing.F) {
	f.Add(Encode(nil, 2, [][]*string{{sp("a"), nil}}, []StoredError{{Row: 0, Col: 1, Code: "x"}}, nil))
	f.Add(Encode(nil, 2, [][]*string{{sp("a"), nil}}, nil, []int{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, rows, errs, blanks, err := decode(b)
		if err != nil {
			return
		}
		again := Encode(nil, w, rows, errs, blanks)
		if _, rows2, _, blanks2, err := decode(again); err != nil || !reflect.DeepEqual(dump(rows), dump(rows2)) || !reflect.DeepEqual(blanks, blanks2) {
			t.Fatalf("re-encoding changed rows: %v", err)
		}
	})
}
