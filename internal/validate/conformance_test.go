package validate_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

const vectors = "../../testdata/conformance"

type vectorError struct {
	Row    int               `json:"row"`
	Column string            `json:"column"`
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

type validateSuite struct {
	Description string          `json:"description"`
	Template    json.RawMessage `json:"template"`
	Cases       []struct {
		Name     string          `json:"name"`
		Template json.RawMessage `json:"template"`
		Rows     [][]*string     `json:"rows"`
		Want     [][]*string     `json:"want"`
		Errors   []vectorError   `json:"errors"`
	} `json:"cases"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func compile(t *testing.T, raw json.RawMessage) *validate.Engine {
	t.Helper()
	tpl, err := template.Parse(raw)
	if err != nil {
		t.Fatalf("template: %v", err)
	}
	e, err := validate.Compile(tpl)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return e
}

func show(rows [][]*string) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(r))
		for j, p := range r {
			if p != nil {
				out[i][j] = *p
			}
		}
	}
	return out
}

// TestConformanceValidate runs every validation vector through Stream.Row,
// and through Stream.RowValidUTF8 (the vectors are JSON, so valid UTF-8).
func TestConformanceValidate(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(vectors, "validate", "*.json"))
	if len(files) == 0 {
		t.Fatal("no validation vectors found")
	}
	total := 0
	for _, file := range files {
		var suite validateSuite
		readJSON(t, file, &suite)
		for _, c := range suite.Cases {
			total++
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				raw := c.Template
				if raw == nil {
					raw = suite.Template
				}
				e := compile(t, raw)
				s, trusting := e.NewStream(nil), e.NewStream(nil)
				got := make([][]*string, len(c.Rows))
				var errs, trustingErrs []validate.Error
				for i, r := range c.Rows {
					got[i] = make([]*string, len(r))
					errs = s.Row(i+1, r, got[i], errs)
					trustingOut := make([]*string, len(r))
					trustingErrs = trusting.RowValidUTF8(i+1, r, trustingOut, trustingErrs)
					if !reflect.DeepEqual(show([][]*string{trustingOut}), show(got[i:i+1])) {
						t.Errorf("row %d: RowValidUTF8 gives %q, Row %q", i+1, show([][]*string{trustingOut}), show(got[i:i+1]))
					}
				}
				if !reflect.DeepEqual(trustingErrs, errs) {
					t.Errorf("RowValidUTF8 errors %+v, Row errors %+v", trustingErrs, errs)
				}
				if !reflect.DeepEqual(show(got), show(c.Want)) {
					t.Errorf("rows:\n got %q\nwant %q", show(got), show(c.Want))
				}
				gotErrs := make([]vectorError, len(errs))
				for i, e := range errs {
					gotErrs[i] = vectorError{Row: e.Row, Column: e.Column, Code: e.Code, Params: e.Params}
					if e.Message == "" {
						t.Errorf("error %d has no message", i)
					}
				}
				if len(gotErrs) == 0 && len(c.Errors) == 0 {
					return
				}
				if !reflect.DeepEqual(gotErrs, c.Errors) {
					t.Errorf("errors:\n got %+v\nwant %+v", gotErrs, c.Errors)
				}
			})
		}
	}
	t.Logf("%d validation vectors", total)
}

// TestConformanceTemplates checks that every refused template is refused by
// Parse or Compile with the expected column and code.
func TestConformanceTemplates(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(vectors, "templates", "*.json"))
	if len(files) == 0 {
		t.Fatal("no template vectors found")
	}
	for _, file := range files {
		var suite struct {
			Cases []struct {
				Name     string          `json:"name"`
				Template json.RawMessage `json:"template"`
				Error    struct {
					Column string `json:"column"`
					Code   string `json:"code"`
				} `json:"error"`
			} `json:"cases"`
		}
		readJSON(t, file, &suite)
		for _, c := range suite.Cases {
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				_, _, err := validate.CheckTemplate(c.Template)
				var te *template.Error
				if !errors.As(err, &te) {
					t.Fatalf("want a *template.Error, got %v", err)
				}
				if te.Column != c.Error.Column || te.Code != c.Error.Code {
					t.Errorf("got column %q code %q (%v), want column %q code %q", te.Column, te.Code, err, c.Error.Column, c.Error.Code)
				}
				if !errors.Is(err, template.ErrInvalid) {
					t.Errorf("error does not wrap template.ErrInvalid")
				}
			})
		}
	}
}
