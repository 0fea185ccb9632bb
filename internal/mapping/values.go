package mapping

import (
	"encoding/json"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

// SampleSize is how many rows value hints look at: the widget samples as
// many in the browser, and no value it samples leaves the browser.
const SampleSize = 200

// minHintValues is how many non-empty sampled values a column needs before
// its values say anything about it.
const minHintValues = 5

// hintTypes are the column types whose values can be told valid or not
// without the rest of the row.
var hintTypes = map[template.Type]bool{
	template.Email: true, template.Phone: true, template.Date: true, template.DateTime: true,
	template.URL: true, template.Country: true, template.Boolean: true, template.Number: true,
}

// SampleColumns picks up to SampleSize data rows spread evenly over rows
// (row floor(k·n/m) for k < m = min(n, SampleSize)) and returns, per column
// of width, the non-empty (after trimming) cells of those rows, in order.
func SampleColumns(rows [][]string, width int) [][]string {
	out := make([][]string, width)
	n := len(rows)
	m := min(n, SampleSize)
	for k := 0; k < m; k++ {
		row := rows[k*n/m]
		for c := 0; c < width && c < len(row); c++ {
			if template.Trim(row[c]) != "" {
				out[c] = append(out[c], row[c])
			}
		}
	}
	return out
}

// ValueHints says, for each sampled file column and each template column of
// a type in hintTypes, which share of the samples the column's own check
// accepts (required, unique and default left out); -1 where there is no
// hint: another type, or fewer than minHintValues samples. MatchValues takes
// the result. The samples are only counted, never kept or logged.
func ValueHints(t *template.Template, samples [][]string) [][]float64 {
	// Columns that check alike (same type and options) share one engine and
	// one count per file column.
	var engines []*validate.Engine
	engineOf := make([]int, len(t.Columns))
	seen := map[string]int{}
	for j, c := range t.Columns {
		engineOf[j] = -1
		if !hintTypes[c.Type] {
			continue
		}
		c.Key, c.Label, c.Description, c.Synonyms = "k", "", "", nil
		c.Required, c.Unique, c.UniqueIgnoreCase, c.Default = false, false, false, nil
		spec, err := json.Marshal(c)
		if err != nil {
			continue
		}
		if k, ok := seen[string(spec)]; ok {
			engineOf[j] = k
			continue
		}
		e, err := validate.Compile(&template.Template{Columns: []template.Column{c}})
		if err != nil {
			continue
		}
		seen[string(spec)] = len(engines)
		engineOf[j] = len(engines)
		engines = append(engines, e)
	}
	out := make([][]float64, len(samples))
	var errs []validate.Error
	cell := make([]*string, 1)
	res := make([]*string, 1)
	shares := make([]float64, len(engines))
	for i, values := range samples {
		for k, e := range engines {
			shares[k] = -1
			if len(values) < minHintValues {
				continue
			}
			s := e.NewStream(nil)
			valid := 0
			for n := range values {
				cell[0] = &values[n]
				if errs = s.Row(n+1, cell, res, errs[:0]); len(errs) == 0 {
					valid++
				}
			}
			shares[k] = float64(valid) / float64(len(values))
		}
		out[i] = make([]float64, len(t.Columns))
		for j, k := range engineOf {
			out[i][j] = -1
			if k >= 0 {
				out[i][j] = shares[k]
			}
		}
	}
	return out
}
