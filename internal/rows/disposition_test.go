package rows

import (
	"mime"
	"strings"
	"testing"
)

// TestContentDisposition: every name reads back whole from filename*
// (mime.ParseMediaType as the RFC 2231/8187 oracle), the ASCII fallback
// is a quoted-string with nothing to unescape, and a header cannot be split
// or extended by a name.
func TestContentDisposition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, fallback, want string }{
		{"imp_01abc.csv", "imp_01abc.csv", "imp_01abc.csv"},
		{`a"b\c.csv`, "a_b_c.csv", `a"b\c.csv`},
		{"Données été.xlsx", "Donn_es _t_.xlsx", "Données été.xlsx"},
		{"50%; filename=evil.exe", "50_; filename=evil.exe", "50%; filename=evil.exe"},
		{"line\r\nSet-Cookie: x=1.csv", "line__Set-Cookie: x=1.csv", "line__Set-Cookie: x=1.csv"},
		{"表.jsonl", "_.jsonl", "表.jsonl"},
		{"tab\there'(x)*.csv", "tab_here'(x)*.csv", "tab_here'(x)*.csv"},
	} {
		h := ContentDisposition(tc.name)
		if strings.ContainsAny(h, "\r\n") {
			t.Fatalf("%q: header has a line break: %q", tc.name, h)
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil || disp != "attachment" {
			t.Fatalf("%q: %q does not parse: %v", tc.name, h, err)
		}
		if params["filename"] != tc.want { // ParseMediaType prefers filename* when both are there
			t.Errorf("%q: filename* reads back %q, want %q", tc.name, params["filename"], tc.want)
		}
		fallback, _, _ := strings.Cut(strings.TrimPrefix(h, `attachment; filename="`), `"; filename*=`)
		if fallback != tc.fallback {
			t.Errorf("%q: fallback %q, want %q", tc.name, fallback, tc.fallback)
		}
		// The fallback alone (what a client without RFC 8187 reads) parses too.
		if _, p, err := mime.ParseMediaType(`attachment; filename="` + fallback + `"`); err != nil || p["filename"] != tc.fallback {
			t.Errorf("%q: fallback alone: %v %q", tc.name, err, p["filename"])
		}
	}
}
