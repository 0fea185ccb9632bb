package rows

import (
	"encoding/csv"
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCSVField: any value written as a CSV field reads back, through
// encoding/csv, as exactly one field equal to the value (with its formula
// apostrophe when it needs one).
func FuzzCSVField(f *testing.F) {
	for _, s := range []string{"", "plain", `=1+2";=1+2`, "a,b", "\"", "\r\n", " x", "-1.5", "@", "\x00", "line\nbreak"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(appendCSVField(nil, s)) + "\r\n"
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%q written as %q does not parse: %v", s, out, err)
		}
		want := s
		if NeedsNeutralizing(s) {
			want = "'" + s
		}
		want = strings.ReplaceAll(want, "\r\n", "\n") // encoding/csv folds CRLF in quoted fields
		if len(recs) != 1 || len(recs[0]) != 1 || recs[0][0] != want {
			t.Fatalf("%q written as %q reads back as %q", s, out, recs)
		}
	})
}

var ooxmlEscape = regexp.MustCompile(`_x([0-9A-F]{4})_`)

// FuzzXMLText: any valid UTF-8 value is well-formed XML text once escaped,
// and an XML parser plus the OOXML _xHHHH_ rule give the value back.
func FuzzXMLText(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "_x0041_", "\x01\x1f", "\r\n", "tab\t", "ünï ✓"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\uFFFE\uFFFF") {
			return
		}
		doc := "<t>" + string(appendXMLText(nil, s)) + "</t>"
		var got struct {
			Text string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%q escaped to %q is not XML: %v", s, doc, err)
		}
		back := ooxmlEscape.ReplaceAllStringFunc(got.Text, func(m string) string {
			n, _ := strconv.ParseUint(m[2:6], 16, 32)
			return string(rune(n))
		})
		if back != s {
			t.Fatalf("%q escaped to %q reads back as %q", s, doc, back)
		}
	})
}
