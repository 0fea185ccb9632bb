package mapping_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/template"
)

const vectors = "../../testdata/conformance/mapping"

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

// TestConformanceMatch runs the column-matching vectors.
func TestConformanceMatch(t *testing.T) {
	t.Parallel()
	var suite struct {
		Template json.RawMessage `json:"template"`
		Cases    []struct {
			Name     string          `json:"name"`
			Template json.RawMessage `json:"template"`
			Headers  []string        `json:"headers"`
			Want     []*string       `json:"want"`
		} `json:"cases"`
	}
	readJSON(t, filepath.Join(vectors, "columns.json"), &suite)
	for _, c := range suite.Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			raw := c.Template
			if raw == nil {
				raw = suite.Template
			}
			tpl, err := template.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]*string, len(c.Headers))
			for i, m := range mapping.Match(tpl, c.Headers) {
				if m.Header != c.Headers[i] {
					t.Errorf("match %d is for header %q, want %q", i, m.Header, c.Headers[i])
				}
				if m.Key != "" {
					got[i] = &m.Key
					if m.Confidence <= 0 || m.Confidence > 1 {
						t.Errorf("confidence %v out of (0,1]", m.Confidence)
					}
				}
			}
			if !reflect.DeepEqual(got, c.Want) {
				t.Errorf("got %v, want %v", deref(got), deref(c.Want))
			}
		})
	}
}

func deref(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = "<null>"
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

// TestConformanceHeaderRow runs the header-row detection vectors.
func TestConformanceHeaderRow(t *testing.T) {
	t.Parallel()
	var suite struct {
		Cases []struct {
			Name      string     `json:"name"`
			Rows      [][]string `json:"rows"`
			Names     []string   `json:"names"`
			HeaderRow int        `json:"header_row"`
		} `json:"cases"`
	}
	readJSON(t, filepath.Join(vectors, "header_row.json"), &suite)
	for _, c := range suite.Cases {
		if got := mapping.DetectHeaderRow(c.Rows, c.Names); got != c.HeaderRow {
			t.Errorf("%s: got row %d, want %d", c.Name, got, c.HeaderRow)
		}
	}
}

// TestMatchLongHeadersStayFast checks that long headers against long labels
// never reach the quadratic fuzzy distance: without the 64-byte bound this
// pair costs 2.5·10⁹ steps (many seconds), with it a few milliseconds.
func TestMatchLongHeadersStayFast(t *testing.T) {
	t.Parallel()
	label := strings.Repeat("ab", 25000)
	tpl, err := template.Parse([]byte(`{"columns": [{"key": "long", "label": "` + label + `", "type": "text"}, {"key": "email", "type": "email"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got := mapping.Match(tpl, []string{label[1:] + "x", "Email"})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("matching 50 KB headers took %v", took)
	}
	if got[0].Key != "" || got[1].Key != "email" {
		t.Errorf("got %+v", got)
	}
}
