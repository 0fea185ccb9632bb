package validate_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

// fuzzTemplate has one column of every type, with formats that accept the
// engine's own output, so that normalising twice must change nothing.
const fuzzTemplate = `{"columns": [
  {"key": "text", "type": "text", "max_length": 50},
  {"key": "number", "type": "number", "min": "-1"},
  {"key": "number_comma", "type": "number", "decimal_separator": ",", "thousands_separator": " "},
  {"key": "boolean", "type": "boolean"},
  {"key": "email", "type": "email", "unique": true, "unique_ignore_case": true},
  {"key": "url", "type": "url"},
  {"key": "phone", "type": "phone", "default_region": "FR"},
  {"key": "date", "type": "date", "formats": ["YYYY-MM-DD", "D MMM YYYY", "MM/DD/YY"]},
  {"key": "datetime", "type": "datetime", "formats": ["YYYY-MM-DD[T]HH:mm:ss", "YYYY-MM-DD[T]HH:mm:ss.SSS", "YYYY-MM-DD[T]HH:mm:ssZ", "YYYY-MM-DD[T]HH:mm:ss.SSSZ", "DD.MM.YYYY h:mm A"], "excel_serial": "1904"},
  {"key": "time", "type": "time", "formats": ["HH:mm:ss", "HH:mm:ss.SSS", "H[h]mm"]},
  {"key": "enum", "type": "enum", "options": [{"value": "a", "label": "Älpha"}, "ΣΟΦΙΑ"], "allow_other": true},
  {"key": "multi", "type": "multi_enum", "options": ["x", "y", "東京"], "delimiter": ";"},
  {"key": "regex", "type": "regex", "pattern": "[\\p{L}' -]{1,20}(?:\\d+|\\.)?"},
  {"key": "ip", "type": "ip"},
  {"key": "country", "type": "country"},
  {"key": "currency", "type": "currency"}
]}`

// FuzzValidate feeds arbitrary bytes, split into cells on 0x1F, to every
// column type. Properties: no panic; every error has a known code, an
// English message made from code and params only, and params that come from
// the template (or a row number), never from the value; outputs are valid
// UTF-8 and normalising an output again gives it back unchanged (except
// for a decimal-comma number, whose canonical output uses ".").
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		"", " ", "\x00", "\xff\xfe", "1,234.5", "+33 1 23 45 67 89", "2025-02-29", "03/04/25", "45000.5", "2025-03-04T01:00:00.500+02:00",
		"9h05", "ann@Example.COM", "HTTPS://EXAMPLE.com/a?b#c", "[::1]", "::ffff:1.2.3.4", "Côte d’Ivoire", "eur", "x; y;;東京",
		"ÄLPHA", "O'Brien 12", "١٢٣", "👨‍👩‍👧", "\u202e\u200f", strings.Repeat("9", 400), "1\u00a0234,5",
	} {
		f.Add([]byte(seed))
	}
	tpl, err := template.Parse([]byte(fuzzTemplate))
	if err != nil {
		f.Fatal(err)
	}
	e, err := validate.Compile(tpl)
	if err != nil {
		f.Fatal(err)
	}
	n := len(tpl.Columns)
	allowed := map[string]bool{"-1": true, "any": true}
	for _, c := range tpl.Columns {
		allowed[strings.Join(c.Formats, " | ")] = true
		allowed[strconv.Itoa(*orZero(c.MaxLength))] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := bytes.Split(data, []byte{0x1f})
		row := make([]*string, n)
		for i := range row {
			v := string(parts[i%len(parts)])
			row[i] = &v
		}
		s := e.NewStream(nil)
		out := make([]*string, n)
		errs := s.Row(1, row, out, nil)
		for _, err := range errs {
			if err.Message == "" || err.Message != validate.Message(err.Code, err.Params) {
				t.Fatalf("message of %s not built from code and params: %q", err.Code, err.Message)
			}
			for k, v := range err.Params {
				if !allowed[v] {
					t.Fatalf("param %s=%q of %s does not come from the template", k, v, err.Code)
				}
			}
		}
		// Normalising the outputs again must give them back unchanged.
		again := make([]*string, n)
		errs2 := e.NewStream(nil).Row(1, out, again, nil)
		for i := range out {
			if out[i] == nil || tpl.Columns[i].Key == "number_comma" { // output uses "." on purpose
				continue
			}
			if !utf8.ValidString(*out[i]) {
				t.Fatalf("column %s: output is not UTF-8", tpl.Columns[i].Key)
			}
			if again[i] == nil || *again[i] != *out[i] {
				t.Fatalf("column %s: output %q normalises to %v (errors %+v)", tpl.Columns[i].Key, *out[i], deref(again[i]), errs2)
			}
		}
	})
}

func orZero(p *int) *int {
	if p == nil {
		z := 0
		return &z
	}
	return p
}

func deref(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}
