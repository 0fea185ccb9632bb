package validate_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

func mustEngine(t testing.TB, js string) *validate.Engine {
	t.Helper()
	tpl, err := template.Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	e, err := validate.Compile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func cells(vs ...string) []*string {
	out := make([]*string, len(vs))
	for i := range vs {
		if vs[i] != "<nil>" {
			out[i] = &vs[i]
		}
	}
	return out
}

// sharedUniqueness stands in for the server's database-backed store: one
// state seen by several streams (chunks on different replicas).
type sharedUniqueness struct {
	mu   sync.Mutex
	seen map[[2]any]int
}

func (u *sharedUniqueness) Claim(column int, key string, row int) (int, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := [2]any{column, key}
	if first, ok := u.seen[k]; ok {
		return first, first != row
	}
	u.seen[k] = row
	return row, false
}

func TestUniquenessAcrossChunksAndRetries(t *testing.T) {
	t.Parallel()
	e := mustEngine(t, `{"columns": [{"key": "email", "type": "email", "unique": true, "unique_ignore_case": true}]}`)
	u := &sharedUniqueness{seen: map[[2]any]int{}}
	out := make([]*string, 1)
	chunk1, chunk2 := e.NewStream(u), e.NewStream(u)
	if errs := chunk1.Row(1, cells("ann@x.io"), out, nil); len(errs) != 0 {
		t.Fatalf("first claim: %v", errs)
	}
	if errs := chunk1.Row(1, cells("ann@x.io"), out, nil); len(errs) != 0 {
		t.Errorf("re-sent row 1 reported as its own duplicate: %v", errs)
	}
	errs := chunk2.Row(500, cells("ANN@X.IO"), out, nil)
	if len(errs) != 1 || errs[0].Code != validate.CodeDuplicate || errs[0].Params["row"] != "1" || errs[0].Row != 500 {
		t.Errorf("chunk 2 row 500: got %+v, want duplicate of row 1", errs)
	}
	if u.seen[[2]any{0, "ann@x.io"}] != 1 {
		t.Errorf("key stored %v, want the folded normalised value", u.seen)
	}
}

func TestInvalidUTF8AndShortRows(t *testing.T) {
	t.Parallel()
	e := mustEngine(t, `{"columns": [{"key": "a", "type": "text"}, {"key": "b", "type": "text", "required": true}]}`)
	s := e.NewStream(nil)
	out := make([]*string, 2)
	bad := "ab\xffcd"
	errs := s.Row(7, []*string{&bad}, out, nil)
	if len(errs) != 2 || errs[0].Code != validate.CodeInvalidEncoding || errs[1].Code != validate.CodeRequired || out[0] != nil || out[1] != nil {
		t.Errorf("got %+v, out %v; want invalid_encoding on a, required on b", errs, out)
	}
}

// TestNoValueInErrors feeds a recognisable value to every type and checks
// that no error text or parameter carries it.
func TestNoValueInErrors(t *testing.T) {
	t.Parallel()
	types := []string{"text", "number", "boolean", "email", "url", "phone", "date", "datetime", "time", "country", "currency", "ip"}
	var cols []string
	for _, typ := range types {
		extra := ""
		if typ == "text" {
			extra = `, "max_length": 3`
		}
		cols = append(cols, `{"key": "c_`+typ+`", "type": "`+typ+`"`+extra+`}`)
	}
	cols = append(cols, `{"key": "c_enum", "type": "enum", "options": ["a"]}`, `{"key": "c_re", "type": "regex", "pattern": "x"}`)
	e := mustEngine(t, `{"columns": [`+strings.Join(cols, ",")+`]}`)
	const canary = "CANARY-93f1-value"
	row := make([]*string, len(cols))
	for i := range row {
		v := canary
		row[i] = &v
	}
	errs := e.NewStream(nil).Row(1, row, make([]*string, len(cols)), nil)
	if len(errs) != len(cols) {
		t.Fatalf("got %d errors, want one per column: %+v", len(errs), errs)
	}
	for _, err := range errs {
		text := err.Message + err.Code + err.Column
		for _, v := range err.Params {
			text += v
		}
		if strings.Contains(text, "CANARY") {
			t.Errorf("column %s: the value leaked: %+v", err.Column, err)
		}
		if err.Message == "" || err.Message == err.Code {
			t.Errorf("column %s: no English message for %s", err.Column, err.Code)
		}
	}
}

func TestRowAllocations(t *testing.T) {
	e := mustEngine(t, `{"columns": [{"key": "id", "type": "number", "integer": true}, {"key": "name", "type": "text", "max_length": 100},
	  {"key": "email", "type": "email", "required": true}, {"key": "d", "type": "date"}, {"key": "amount", "type": "number", "min": "-100000"}]}`)
	s := e.NewStream(nil)
	in := cells("12345", "Chloé", "chloe.sanchez550@example.co.uk", "2021-01-14", "43034.26")
	out := make([]*string, 5)
	errs := make([]validate.Error, 0, 8)
	if n := testing.AllocsPerRun(1000, func() { errs = s.Row(1, in, out, errs[:0]) }); n != 0 {
		t.Errorf("happy path allocates %.1f times per row, want 0", n)
	}
	if len(errs) != 0 {
		t.Fatalf("unexpected errors %+v", errs)
	}
}

func TestEngineSharedByGoroutines(t *testing.T) {
	t.Parallel()
	e := mustEngine(t, `{"columns": [{"key": "n", "type": "number", "unique": true}, {"key": "c", "type": "country"}]}`)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := e.NewStream(nil)
			out := make([]*string, 2)
			for i := 1; i <= 200; i++ {
				if errs := s.Row(i, cells("1,000", "France"), out, nil); (i == 1) != (len(errs) == 0) {
					t.Errorf("row %d: %+v", i, errs)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestValidateHelper(t *testing.T) {
	t.Parallel()
	tpl, err := template.Parse([]byte(`{"columns": [{"key": "a", "type": "boolean", "default": "no"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rows, errs, err := validate.Validate(tpl, [][]*string{cells("YES"), cells("<nil>"), cells("maybe")})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rows {
		if r[0] == nil {
			got = append(got, "<nil>")
		} else {
			got = append(got, *r[0])
		}
	}
	if strings.Join(got, ",") != "true,false,<nil>" || len(errs) != 1 || errs[0].Row != 3 || errs[0].Code != validate.CodeNotABoolean {
		t.Errorf("rows %v errs %+v", got, errs)
	}
	bad := &template.Template{Columns: []template.Column{{Key: "n", Type: template.Number, DecimalSeparator: ".", Default: ptr("x")}}}
	if _, _, err := validate.Validate(bad, nil); err == nil || !strings.Contains(err.Error(), "invalid_default") {
		t.Errorf("invalid default: got %v", err)
	}
}

func ptr(s string) *string { return &s }

func TestMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code   string
		params map[string]string
		want   string
	}{
		{validate.CodeTooLong, map[string]string{"max": "5"}, "Must be at most 5 characters."},
		{validate.CodePatternMismatch, map[string]string{"message": "Use ABC-1234"}, "Use ABC-1234"},
		{validate.CodePatternMismatch, nil, "Does not have the expected format."},
		{validate.CodeInvalidIP, map[string]string{"version": "6"}, "Must be an IPv6 address."},
		{validate.CodeInvalidIP, map[string]string{"version": "any"}, "Must be an IP address (IPv4 or IPv6)."},
		{"no_such_code", nil, "no_such_code"},
	} {
		if got := validate.Message(tc.code, tc.params); got != tc.want {
			t.Errorf("Message(%s) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// TestDocExampleCompiles keeps the complete example of docs/templates.md valid.
func TestDocExampleCompiles(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no JSON example in docs/templates.md")
	}
	e := mustEngine(t, example)
	if n := len(e.Template().Columns); n < 15 {
		t.Errorf("example has %d columns; it should show every type", n)
	}
}
