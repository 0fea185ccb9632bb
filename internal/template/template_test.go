package template

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseFillsDefaults(t *testing.T) {
	t.Parallel()
	tpl, err := Parse([]byte(`{"columns": [
	  {"key": "n", "type": "number"},
	  {"key": "m", "type": "number", "decimal_separator": ","},
	  {"key": "d", "type": "date"},
	  {"key": "dt", "type": "datetime", "excel_serial": "1904"},
	  {"key": "tm", "type": "time"},
	  {"key": "b", "type": "boolean", "label": "Active?"},
	  {"key": "ip", "type": "ip"},
	  {"key": "tags", "type": "multi_enum", "options": ["a", {"value": "b"}]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := tpl.Columns
	checks := []struct {
		name      string
		got, want any
	}{
		{"label defaults to key", c[0].Label, "n"},
		{"decimal separator", c[0].DecimalSeparator, "."},
		{"thousands separator after '.'", c[0].ThousandsSeparator, ","},
		{"thousands separator after ','", c[1].ThousandsSeparator, "."},
		{"date formats", c[2].Formats, []string{"YYYY-MM-DD"}},
		{"date excel serial", c[2].ExcelSerial, "1900"},
		{"datetime keeps 1904", c[3].ExcelSerial, "1904"},
		{"time formats", c[4].Formats, []string{"HH:mm:ss", "HH:mm"}},
		{"time has no serials", c[4].ExcelSerial, ""},
		{"boolean outputs", [2]string{c[5].TrueValue, c[5].FalseValue}, [2]string{"true", "false"}},
		{"label kept", c[5].Label, "Active?"},
		{"ip version", c[6].Version, "any"},
		{"delimiter", c[7].Delimiter, ","},
		{"options shorthand", c[7].Options, []Option{{"a", "a"}, {"b", "b"}}},
		{"keys", tpl.Keys(), []string{"n", "m", "d", "dt", "tm", "b", "ip", "tags"}},
		{"index", tpl.Index("tm"), 4},
		{"index of a missing key", tpl.Index("zz"), -1},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseErrorsNameColumnAndRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json, msg string
	}{
		{`{"columns": [{"key": "email", "type": "mail"}]}`, `template: column "email": unknown_type: type "mail" is not one of`},
		{`{"columns": [{"key": "a", "type": "text"}], "rules": [{"rule": "one_of_required", "columns": ["a", "b"]}]}`, `template: rule 0: unknown_column: no column has key "b"`},
		{`{"columns": [`, `template: invalid_json:`},
		{`{"columns": [{"key": "a", "type": "text"}]} {}`, `template: invalid_json: data after the JSON value`},
		{`{"columns": [{"key": "a", "type": "number", "max": 1e3}]}`, `template: column "a": invalid_option:`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.json))
		if err == nil || !strings.HasPrefix(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want prefix %q", tc.json, err, tc.msg)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error does not wrap ErrInvalid", tc.json)
		}
	}
}

func TestParseRefusesTooManyColumns(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"columns": [`)
	for i := 0; i <= MaxColumns; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"key": "c` + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + `_` + itoa(i) + `", "type": "text"}`)
	}
	b.WriteString(`]}`)
	_, err := Parse([]byte(b.String()))
	var te *Error
	if !errors.As(err, &te) || te.Code != CodeTooManyColumns {
		t.Fatalf("got %v, want too_many_columns", err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestCanonicalAndCompareDecimal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"0": "0", "-0.000": "0", "+007.50": "7.5", "-12": "-12", "1.000000000000000000001": "1.000000000000000000001"} {
		if got, ok := CanonicalDecimal(in); !ok || got != want {
			t.Errorf("CanonicalDecimal(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "-", ".5", "5.", "1e3", "1,000", " 1", "0x10"} {
		if _, ok := CanonicalDecimal(bad); ok {
			t.Errorf("CanonicalDecimal(%q) accepted", bad)
		}
	}
	ordered := []string{"-100.5", "-100", "-9.99", "-0.5", "0", "0.05", "0.5", "0.51", "9", "10", "99999999999999999999.1"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := CompareDecimal(a, b); got != want {
				t.Errorf("CompareDecimal(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestTrimAndFold(t *testing.T) {
	t.Parallel()
	trims := map[string]string{
		" \t\n\r\v\fa b\u00a0\u3000\ufeff\u2028\u2029\u202f\u205f\u1680\u2000\u200a": "a b",
		"\u200ba\u200b": "\u200ba\u200b", // zero-width space is not whitespace
		"\u0085a":       "\u0085a",       // nor is NEL
		"":              "",
		"\xff ":         "\xff",
	}
	for in, want := range trims {
		if got := Trim(in); got != want {
			t.Errorf("Trim(%q) = %q, want %q", in, got, want)
		}
	}
	folds := map[string]string{"ABC": "abc", "ÄRGER": "ärger", "İSTANBUL": "istanbul", "ΟΔΟΣ": "οδοσ", "déjà": "déjà", "ǅ": "ǆ"}
	for in, want := range folds {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := FoldASCII("ÄbC"); got != "Äbc" {
		t.Errorf("FoldASCII folded non-ASCII: %q", got)
	}
}

// TestFoldEightAtATime puts every byte at every position of lower-case
// words of 1 to 24 bytes: Fold and FoldASCII, which scan eight bytes at a
// time, must give what folding rune by rune gives.
func TestFoldEightAtATime(t *testing.T) {
	t.Parallel()
	ref := func(s string, ascii bool) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case ascii && 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case !ascii:
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for n := 1; n <= 24; n++ {
		base := []byte(strings.Repeat("az09.@-~", 3)[:n])
		for pos := range n {
			for c := range 256 {
				w := slices.Clone(base)
				w[pos] = byte(c)
				s := string(w)
				if !utf8.ValidString(s) {
					// A lone byte of 0x80 or more: nothing to fold in s.
					if got := FoldASCII(s); got != s {
						t.Fatalf("FoldASCII(%q) = %q", s, got)
					}
					continue
				}
				if got, want := Fold(s), ref(s, false); got != want {
					t.Fatalf("Fold(%q) = %q, want %q", s, got, want)
				}
				if got, want := FoldASCII(s), ref(s, true); got != want {
					t.Fatalf("FoldASCII(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}

func TestDateFormatTokens(t *testing.T) {
	t.Parallel()
	f, err := ParseDateFormat("D MMMM YYYY[, at] h:mm:ss.SSS A", DateTime)
	if err != nil {
		t.Fatal(err)
	}
	want := []DateItem{{Tok: TokD}, {Literal: " "}, {Tok: TokMMMM}, {Literal: " "}, {Tok: TokYYYY}, {Literal: ", at "},
		{Tok: Tokh}, {Literal: ":"}, {Tok: Tokmm}, {Literal: ":"}, {Tok: Tokss}, {Literal: "."}, {Tok: TokSSS}, {Literal: " "}, {Tok: TokA}}
	if !reflect.DeepEqual(f.Items, want) {
		t.Errorf("items %+v\nwant %+v", f.Items, want)
	}
}

// TestParseMarshalRoundTrip checks that a parsed template written back as
// JSON parses to the same template, so the server can store what Parse gives.
func TestParseMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	src := `{"columns": [
	  {"key": "n", "type": "number", "thousands_separator": "", "min": "-1.50", "max": 10},
	  {"key": "t", "type": "text", "min_length": 0, "required": true, "synonyms": ["x"]},
	  {"key": "e", "type": "enum", "options": ["a", {"value": "b", "label": "Bee"}], "allow_other": true},
	  {"key": "d", "type": "datetime", "excel_serial": "off"},
	  {"key": "r", "type": "regex", "pattern": "\\d+", "message": "digits"}],
	  "rules": [{"rule": "one_of_required", "columns": ["n", "t"]}]}`
	first, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Parse(data)
	if err != nil {
		t.Fatalf("re-parse %s: %v", data, err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("round trip changed the template:\n%+v\n%+v", first, second)
	}
	if first.Columns[0].ThousandsSeparator != "" || *first.Columns[0].Min != "-1.5" {
		t.Errorf("number options: %+v", first.Columns[0])
	}
}
