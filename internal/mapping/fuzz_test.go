package mapping

import (
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/template"
)

// FuzzMatch feeds arbitrary header rows (split on 0x1F) to Match and
// DetectHeaderRow: no panic, one proposal per header, no column proposed twice.
func FuzzMatch(f *testing.F) {
	tpl, err := template.Parse([]byte(`{"columns": [
	  {"key": "first_name", "label": "First name", "type": "text", "synonyms": ["given name"]},
	  {"key": "email", "label": "E-mail", "type": "email"},
	  {"key": "city", "label": "Ville", "type": "text", "synonyms": ["町"]}]}`))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"First name\x1fEmail", "\xff\x1f", "ÉMAIL\x1fe-mail\x1f\x1f町", "firstName\x1fCity", "Default Address Address2\x1f携帯電話番号\x1fName;Email", "Vorname\x1fName\x1fE-mail 2 Address\x1fZIPCode1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		headers := strings.Split(s, "\x1f")
		// Hints from the headers themselves as values: any shares at all.
		got := MatchValues(tpl, headers, ValueHints(tpl, SampleColumns([][]string{headers, headers, headers, headers, headers}, len(headers))))
		if len(got) != len(headers) {
			t.Fatalf("%d proposals for %d headers", len(got), len(headers))
		}
		seen := map[string]bool{}
		for _, p := range got {
			if p.Key != "" && seen[p.Key] {
				t.Fatalf("column %s proposed twice", p.Key)
			}
			seen[p.Key] = true
		}
		rows := [][]string{headers, strings.Fields(s)}
		// -1 is "no header row".
		if i := DetectHeaderRow(rows, headers); i < -1 || i >= max(1, len(rows)) {
			t.Fatalf("header row %d out of range", i)
		}
	})
}
