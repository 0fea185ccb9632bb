package mapping_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/template"
)

// benchInput is the benchmark: 500 headers against a template of 500
// columns, both drawn from the real header rows of the vectors (labels
// numbered past the first round, so that keys stay distinct). The widget's
// twin is web/widget/test/match-bench.mjs.
func benchInput(tb testing.TB) (*template.Template, []string) {
	tb.Helper()
	var pool []string
	seen := map[string]bool{}
	for _, f := range []string{"exports.json", "languages.json", "lookalikes.json", "shapes.json"} {
		var suite matchSuite
		readJSON(tb, filepath.Join(vectors, f), &suite)
		for _, c := range suite.Cases {
			for _, h := range c.Headers {
				if !seen[h] {
					seen[h] = true
					pool = append(pool, h)
				}
			}
		}
	}
	type col struct {
		Key   string `json:"key"`
		Label string `json:"label"`
		Type  string `json:"type"`
	}
	cols := make([]col, 500)
	headers := make([]string, 500)
	for i := range cols {
		label := pool[(i*7)%len(pool)]
		if i >= len(pool) {
			label = fmt.Sprintf("%s %d", label, i/len(pool)+1)
		}
		cols[i] = col{Key: fmt.Sprintf("c%d", i), Label: label, Type: "text"}
		headers[i] = pool[(i*11+3)%len(pool)]
	}
	data, _ := json.Marshal(map[string]any{"columns": cols})
	tpl, err := template.Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	return tpl, headers
}

// BenchmarkMatch500x500 is 500 headers against 500 template columns (the
// issue's bound: 50 ms).
func BenchmarkMatch500x500(b *testing.B) {
	tpl, headers := benchInput(b)
	b.ResetTimer()
	for range b.N {
		mapping.Match(tpl, headers)
	}
}

// TestMatch500x500Bound fails when matching 500 headers against 500 columns
// takes more than 50 ms (the best of five runs, so that a busy machine does
// not fail it for one slow run).
func TestMatch500x500Bound(t *testing.T) {
	tpl, headers := benchInput(t)
	best := time.Hour
	for range 5 {
		start := time.Now()
		mapping.Match(tpl, headers)
		best = min(best, time.Since(start))
	}
	t.Logf("500 headers x 500 columns: %v", best)
	if best > 50*time.Millisecond {
		t.Errorf("500 headers x 500 columns took %v, want at most 50ms", best)
	}
}
