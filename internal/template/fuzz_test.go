package template

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return a template or an
// *Error, never panic, and a template it accepts, written back as JSON, must
// parse to the same template.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"columns": [{"key": "a", "type": "text"}]}`,
		`{"columns": [{"key": "d", "type": "date", "formats": ["D MMMM YYYY[T]h A"]}]}`,
		`{"columns": [{"key": "r", "type": "regex", "pattern": "[\\p{L}\\-]{1,3}(?:a|b)*?\\u00e9"}]}`,
		`{"columns": [{"key": "e", "type": "multi_enum", "options": ["a", {"value": "b", "label": "B"}], "delimiter": "、"}], "rules": [{"rule": "one_of_required", "columns": ["e", "e"]}]}`,
		`{"columns": [{"key": "n", "type": "number", "min": "-0.5", "max": 1e400}]}`,
		`{"columns": [{"key": "a", "type": "text", "synonyms": []}, {"key": "b", "type": "text"}], "rules": [{"rule": "required_if", "column": "a", "when": "b", "equals": []}]}`,
		`[]`, `null`, `{"columns": null}`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := Parse(data)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Code == "" {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		if len(tpl.Columns) == 0 {
			t.Fatal("accepted a template without columns")
		}
		out, err := json.Marshal(tpl)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(tpl, again) {
			t.Fatalf("round trip changed the template:\n%+v\n%+v", tpl, again)
		}
	})
}
