package rows

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendString checks the hand-written string encoder against
// encoding/json: same decoded value, always valid JSON.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\r\t\x00\x1f", "é\u2028\u2029", "\xff\xfe", "a\xc3", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("invalid JSON %q: %v", enc, err)
		}
		want := s
		if !utf8.ValidString(s) {
			b, _ := json.Marshal(s) // replaces invalid bytes with U+FFFD
			_ = json.Unmarshal(b, &want)
		}
		if got != want {
			t.Fatalf("round trip %q -> %q", s, got)
		}
	})
}
