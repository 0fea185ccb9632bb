package ingest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func sp(s string) *string { return &s }

func TestDecodeChunk(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		body  string
		width int
		want  ChunkBody
		err   string // substring of the error; "" for success
	}{
		{"simple", `{"first_row":0,"rows":[["a","b"],[null,""]]}`, 2,
			ChunkBody{0, [][]*string{{sp("a"), sp("b")}, {nil, sp("")}}}, ""},
		{"keys reversed, spaces", " { \"rows\" : [ [ \"x\" ] ] , \"first_row\" : 42 } \n", 1,
			ChunkBody{42, [][]*string{{sp("x")}}}, ""},
		{"escapes", `{"first_row":1,"rows":[["q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]]}`, 1,
			ChunkBody{1, [][]*string{{sp("q\"\\/\b\f\n\r\té😀")}}}, ""},
		{"lone surrogate", `{"first_row":1,"rows":[["\ud83dx"]]}`, 1,
			ChunkBody{1, [][]*string{{sp("\uFFFDx")}}}, ""},
		{"invalid utf8", "{\"first_row\":1,\"rows\":[[\"a\xffb\"]]}", 1,
			ChunkBody{1, [][]*string{{sp("a\uFFFDb")}}}, ""},
		{"no rows", `{"first_row":0,"rows":[]}`, 3, ChunkBody{0, [][]*string{}}, ""},
		{"short row", `{"first_row":0,"rows":[["a"]]}`, 2, ChunkBody{}, "rows[0]: has 1 values, want 2"},
		{"long row", `{"first_row":0,"rows":[["a","b","c"]]}`, 2, ChunkBody{}, "rows[0]: has more than 2"},
		{"empty row", `{"first_row":0,"rows":[["a"],[]]}`, 1, ChunkBody{}, "rows[1]: has 0 values"},
		{"number cell", `{"first_row":0,"rows":[["a",1]]}`, 2, ChunkBody{}, "rows[0][1]: must be a string or null"},
		{"object cell", `{"first_row":0,"rows":[[{}]]}`, 1, ChunkBody{}, "rows[0][0]: must be a string or null"},
		{"negative first", `{"first_row":-1,"rows":[]}`, 1, ChunkBody{}, "first_row must be"},
		{"huge first", `{"first_row":99999999999999999999,"rows":[]}`, 1, ChunkBody{}, "first_row must be"},
		{"float first", `{"first_row":1.5,"rows":[]}`, 1, ChunkBody{}, "first_row must be an integer"},
		{"missing rows", `{"first_row":0}`, 1, ChunkBody{}, "required"},
		{"unknown key", `{"first_row":0,"rows":[],"x":1}`, 1, ChunkBody{}, "unknown field"},
		{"duplicate key", `{"first_row":0,"first_row":1,"rows":[]}`, 1, ChunkBody{}, "twice"},
		{"trailing", `{"first_row":0,"rows":[]} x`, 1, ChunkBody{}, "trailing"},
		{"truncated", `{"first_row":0,"rows":[["a"`, 1, ChunkBody{}, "malformed"},
		{"control char", "{\"first_row\":0,\"rows\":[[\"a\x01\"]]}", 1, ChunkBody{}, "malformed string"},
		{"bad escape", `{"first_row":0,"rows":[["\x"]]}`, 1, ChunkBody{}, "malformed string"},
		{"empty", ``, 1, ChunkBody{}, "end of body"},
		{"array", `[]`, 1, ChunkBody{}, "want an object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeChunk([]byte(c.body), c.width)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want it to contain %q", err, c.err)
				}
				if !IsDecodeError(err) {
					t.Fatalf("err %v is not a DecodeError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", dump(got), dump(c.want))
			}
		})
	}
}

// TestDecodeErrorsNeverQuoteValues: whatever is wrong, the error text must
// not contain the cell's content.
func TestDecodeErrorsNeverQuoteValues(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-7f3a"
	for _, body := range []string{
		`{"first_row":0,"rows":[["` + canary + `"]]}`,
		`{"first_row":0,"rows":[["` + canary + `",1]]}`,
		`{"first_row":0,"rows":[["` + canary + `\q"]]}`,
		`{"first_row":0,"rows":[["` + canary,
		`{"first_row":0,"` + canary + `":[]}`,
	} {
		_, err := DecodeChunk([]byte(body), 2)
		if err == nil {
			t.Fatalf("body %q accepted", body)
		}
		if strings.Contains(err.Error(), canary) {
			t.Fatalf("error %q quotes the value", err)
		}
	}
}

func dump(c ChunkBody) []any {
	out := []any{c.FirstRow}
	for _, r := range c.Rows {
		var row []any
		for _, v := range r {
			if v == nil {
				row = append(row, nil)
			} else {
				row = append(row, *v)
			}
		}
		out = append(out, row)
	}
	return out
}

// FuzzDecodeChunk holds DecodeChunk to encoding/json: whatever it accepts,
// encoding/json reads to the same rows; and whatever encoding/json reads,
// re-encoded, DecodeChunk reads back unchanged.
func FuzzDecodeChunk(f *testing.F) {
	for _, s := range []string{
		`{"first_row":0,"rows":[["a","b"],[null,""]]}`,
		`{"rows":[["\u00e9\ud83d\ude00","x"]],"first_row":7}`,
		`{"first_row":3,"rows":[["\ud800","\\"]]}`,
		"{\"first_row\":1,\"rows\":[[\"a\xff\",null]]}",
	} {
		f.Add([]byte(s))
	}
	type ref struct {
		FirstRow *int64      `json:"first_row"`
		Rows     [][]*string `json:"rows"`
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const width = 2
		got, err := DecodeChunk(body, width)
		for _, row := range got.Rows {
			for _, cell := range row {
				if cell != nil && !utf8.ValidString(*cell) {
					t.Fatalf("DecodeChunk returned invalid UTF-8")
				}
			}
		}
		var want ref
		jerr := json.Unmarshal(body, &want)
		if err == nil {
			if jerr != nil {
				t.Fatalf("DecodeChunk accepted what encoding/json refuses (%v)", jerr)
			}
			if want.FirstRow == nil || *want.FirstRow != got.FirstRow || !reflect.DeepEqual(dump(ChunkBody{0, want.Rows})[1:], dump(got)[1:]) {
				t.Fatalf("DecodeChunk and encoding/json disagree")
			}
		}
		if jerr != nil || want.FirstRow == nil || *want.FirstRow < 0 || *want.FirstRow > maxFirstRow || want.Rows == nil {
			return
		}
		for _, r := range want.Rows {
			if len(r) != width {
				return
			}
		}
		canon, _ := json.Marshal(want)
		back, err := DecodeChunk(canon, width)
		if err != nil {
			t.Fatalf("DecodeChunk refused encoding/json's own output: %v", err)
		}
		if back.FirstRow != *want.FirstRow || !reflect.DeepEqual(dump(ChunkBody{0, want.Rows})[1:], dump(back)[1:]) {
			t.Fatalf("round trip through encoding/json changed the rows")
		}
	})
}

// TestNextSpecial holds the word-at-a-time scan to a byte-by-byte one, with
// each kind of special byte at every position of the words, after and
// before others.
func TestNextSpecial(t *testing.T) {
	t.Parallel()
	slow := func(s string, i int) int {
		for ; i < len(s); i++ {
			if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				return i
			}
		}
		return i
	}
	base := "abcdefghijklmnopqrstuvwxyz0123456789"
	specials := []string{"\x00", "\x01", "\x1f", "\n", "\"", "\\", "\x80", "\xff", "\xc3", "!", "#", "[", "]", " ", "\x7f", "\x21"}
	for _, bad := range specials {
		for _, then := range specials {
			for i := range len(base) {
				s := base[:i] + bad + then + base[i:]
				for from := range min(len(s), 9) {
					if got, want := nextSpecial(s, from), slow(s, from); got != want {
						t.Fatalf("nextSpecial(%q, %d) = %d, want %d", s, from, got, want)
					}
				}
			}
		}
	}
	for _, s := range []string{"", " ", "~\x7f", "héllo wörld", "日本語のテキスト", "emoji 😀😀", base} {
		if got, want := nextSpecial(s, 0), slow(s, 0); got != want {
			t.Errorf("nextSpecial(%q, 0) = %d, want %d", s, got, want)
		}
	}
}
