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

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// matchSuite is a file of column-matching vectors: a template for all its
// cases (or one per case), headers, optional data rows for value hints, and
// the proposal both engines must make. right, when set, is the right answer
// where the proposal is not (what TestScorePerSource counts).
type matchSuite struct {
	Template json.RawMessage `json:"template"`
	Cases    []matchCase     `json:"cases"`
}

type matchCase struct {
	Name     string          `json:"name"`
	Source   string          `json:"source"`
	Template json.RawMessage `json:"template"`
	Headers  []string        `json:"headers"`
	Data     [][]string      `json:"data"`
	Want     []*string       `json:"want"`
	Levels   []*string       `json:"levels"`
	Right    []*string       `json:"right"`
	// Learned is the importer's learned mappings (header → key) for the case.
	Learned []mapping.LearnedPair `json:"learned"`
}

// matchFiles lists the column-matching vector files (all but header_row.json).
func matchFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectors, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no mapping vectors in %s: %v", vectors, err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "header_row.json" {
			out = append(out, f)
		}
	}
	return out
}

// run proposes for one case as the widget does: with value hints when the
// case has data rows.
func (c matchCase) run(t *testing.T, suite json.RawMessage) (*template.Template, []mapping.Proposal) {
	t.Helper()
	raw := c.Template
	if raw == nil {
		raw = suite
	}
	tpl, err := template.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var hints [][]float64
	if c.Data != nil {
		hints = mapping.ValueHints(tpl, mapping.SampleColumns(c.Data, len(c.Headers)))
	}
	return tpl, mapping.MatchLearned(tpl, c.Headers, hints, c.Learned)
}

// TestConformanceMatch runs the column-matching vectors.
func TestConformanceMatch(t *testing.T) {
	t.Parallel()
	total := 0
	for _, file := range matchFiles(t) {
		var suite matchSuite
		readJSON(t, file, &suite)
		total += len(suite.Cases)
		for _, c := range suite.Cases {
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				_, proposals := c.run(t, suite.Template)
				got := make([]*string, len(c.Headers))
				levels := make([]*string, len(c.Headers))
				for i, m := range proposals {
					if m.Header != c.Headers[i] {
						t.Errorf("match %d is for header %q, want %q", i, m.Header, c.Headers[i])
					}
					if m.Key != "" {
						got[i] = &m.Key
						l := string(m.Level)
						levels[i] = &l
						if m.Confidence <= 0 || m.Confidence > 1 {
							t.Errorf("confidence %v out of (0,1]", m.Confidence)
						}
					}
				}
				if !reflect.DeepEqual(got, c.Want) {
					t.Errorf("got %v, want %v", deref(got), deref(c.Want))
				}
				if c.Levels != nil && !reflect.DeepEqual(levels, c.Levels) {
					t.Errorf("levels %v, want %v", deref(levels), deref(c.Levels))
				}
			})
		}
	}
	if total < 200 {
		t.Errorf("%d column-matching vectors, want at least 200", total)
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

// TestScorePerSource reports, per source of the export vectors, the share of
// the template's keys given the right header (or rightly none): the measure
// issue 12 sets at 95%. It fails below that.
func TestScorePerSource(t *testing.T) {
	t.Parallel()
	type tally struct{ right, keys int }
	scores := map[string]*tally{}
	var order []string
	for _, file := range matchFiles(t) {
		var suite matchSuite
		readJSON(t, file, &suite)
		for _, c := range suite.Cases {
			if c.Source == "" {
				continue
			}
			tpl, proposals := c.run(t, suite.Template)
			right := c.Right
			if right == nil {
				right = c.Want
			}
			if scores[c.Source] == nil {
				scores[c.Source] = &tally{}
				order = append(order, c.Source)
			}
			s := scores[c.Source]
			for _, col := range tpl.Columns {
				s.keys++
				if headerOf(proposals, col.Key) == headerFor(right, c.Headers, col.Key) {
					s.right++
				}
			}
		}
	}
	for _, src := range order {
		s := scores[src]
		share := float64(s.right) / float64(s.keys)
		t.Logf("%-20s %3d/%3d keys right (%.1f%%)", src, s.right, s.keys, 100*share)
		if share < 0.95 {
			t.Errorf("%s: %.1f%% of keys right, want at least 95%%", src, 100*share)
		}
	}
}

func headerOf(ps []mapping.Proposal, key string) int {
	for i, p := range ps {
		if p.Key == key {
			return i
		}
	}
	return -1
}

func headerFor(want []*string, headers []string, key string) int {
	for i, w := range want {
		if w != nil && *w == key {
			return i
		}
	}
	return -1
}
