package fileimport

import (
	"encoding/json"
	"testing"
)

// The chunk writer's strings decode to what encoding/json's decode to
// (invalid UTF-8 as U+FFFD), the library as the oracle.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uo\te`, "line\nbreak\r\n\ttab", "\x00\x1f\x7f", "é€😀", "\xff\xfe bad", "\u2028\u2029", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: not JSON: %v", s, err)
		}
		oracle, _ := json.Marshal(s)
		if err := json.Unmarshal(oracle, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q decodes to %q, encoding/json's to %q", s, got, want)
		}
	})
}

func TestChunkWriterBody(t *testing.T) {
	t.Parallel()
	a, b := "x", `y"`
	var cw chunkWriter
	cw.reset(7)
	cw.add([]*string{&a, nil})
	cw.add([]*string{nil, &b})
	var got struct {
		FirstRow int64       `json:"first_row"`
		Rows     [][]*string `json:"rows"`
	}
	if err := json.Unmarshal(cw.body(), &got); err != nil {
		t.Fatal(err)
	}
	if got.FirstRow != 7 || len(got.Rows) != 2 || *got.Rows[0][0] != a || got.Rows[0][1] != nil || *got.Rows[1][1] != b {
		t.Fatalf("body %s", cw.body())
	}
}
