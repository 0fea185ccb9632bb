package validate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

// TestHugeCells gives every column type 1 MB cells of shapes that could make
// a careless parser quadratic, and bounds the time each takes.
func TestHugeCells(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse([]byte(fuzzTemplate))
	if err != nil {
		t.Fatal(err)
	}
	e, err := validate.Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	const mb = 1 << 20
	shapes := map[string]string{
		"digits":       strings.Repeat("9", mb),
		"grouped":      "1" + strings.Repeat(",000", mb/4),
		"letters":      strings.Repeat("a", mb),
		"delimiters":   strings.Repeat("x;", mb/2),
		"spaces":       " " + strings.Repeat("\u3000", mb/3) + "a",
		"dots":         strings.Repeat("a.", mb/2) + "com",
		"at signs":     strings.Repeat("@", mb),
		"nul":          strings.Repeat("\x00", mb),
		"colons":       strings.Repeat("1:", mb/2),
		"url path":     "https://example.com/" + strings.Repeat("a", mb),
		"accents":      strings.Repeat("é", mb/2),
		"country-like": strings.Repeat("U.", mb/2),
	}
	for name, v := range shapes {
		row := make([]*string, len(tpl.Columns))
		for i := range row {
			row[i] = &v
		}
		start := time.Now()
		errs := e.NewStream(nil).Row(1, row, make([]*string, len(row)), nil)
		took := time.Since(start)
		t.Logf("%-12s %v, %d errors", name, took, len(errs))
		if took > 10*time.Second { // generous: quadratic work on 1 MB would take hours
			t.Errorf("%s: a 1 MB cell in every column took %v", name, took)
		}
	}
}
