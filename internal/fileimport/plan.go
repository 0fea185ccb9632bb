package fileimport

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/parse"
	"github.com/intakehq/intake/internal/template"
)

// Options are a file import's parse and mapping options, as the API's query
// parameters and the command line's flags give them.
type Options struct {
	// Sheet names a workbook's sheet (or its 1-based index); "" is the first.
	Sheet string `json:"sheet,omitempty"`
	// Delimiter and Encoding override the CSV parser's detection.
	Delimiter string `json:"delimiter,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	// HeaderRow is the 1-based row of the headers, 0 for a file without a
	// header row (columns then fill the template's in order), nil to detect
	// it as the widget does (mapping.DetectHeaderRow).
	HeaderRow *int `json:"header_row,omitempty"`
	// Mapping maps headers to template keys; nil matches automatically,
	// keeping proposals of at least MinConfidence (DefaultMinConfidence
	// when 0). A header it does not name is left out.
	Mapping       map[string]string `json:"mapping,omitempty"`
	MinConfidence float64           `json:"min_confidence,omitempty"`
	// AllowInvalid stores rows that fail the template, flagged with their
	// errors, instead of failing the import; nil follows the importer. It
	// can only narrow the importer's setting: the server refuses true for
	// an importer that does not allow invalid rows.
	AllowInvalid *bool `json:"allow_invalid,omitempty"`
	// validUTF8 is the job's spec.ValidUTF8 (never a caller's): the CSV
	// parser skips its reading of the whole file to detect the encoding.
	validUTF8 bool
}

// DefaultMinConfidence keeps the matcher's "likely" proposals and better.
const DefaultMinConfidence = 0.75

// headRows is how many rows of a file a plan reads: the rows header
// detection looks at, and the value hints' sample after them.
const headRows = 25 + mapping.SampleSize

// Plan says how a file's rows become a template's: which row is the header
// and which file column fills each template column.
type Plan struct {
	// HeaderRow is the 0-based index of the header row, -1 for none.
	HeaderRow int
	// Sources[j] is the file column of template column j, -1 for none.
	Sources []int
}

// FirstDataRow is the 0-based index of the first row after the header.
func (p Plan) FirstDataRow() int { return p.HeaderRow + 1 }

// PlanError is a file that cannot be mapped onto the template. Its message
// names template keys and counts, never a header's text (headers are the
// file's, and treated like its cells).
type PlanError struct{ Code, Message string }

func (e *PlanError) Error() string { return e.Code + ": " + e.Message }

func planErrorf(code, format string, args ...any) *PlanError {
	return &PlanError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// MakePlan maps a file's first rows onto t per o. learned is the
// importer's learned mappings (nil when it learns none): the automatic
// matching proposes them first, as the widget's does.
func MakePlan(t *template.Template, head [][]string, o Options, learned []mapping.LearnedPair) (Plan, error) {
	p := Plan{Sources: make([]int, len(t.Columns))}
	for j := range p.Sources {
		p.Sources[j] = -1
	}
	switch {
	case o.HeaderRow == nil:
		p.HeaderRow = mapping.DetectHeaderRow(head, headerNames(t))
	case *o.HeaderRow < 0:
		return p, planErrorf("bad_header_row", "header_row must be 0 (no header row) or a 1-based row number")
	default:
		p.HeaderRow = *o.HeaderRow - 1
	}
	if p.HeaderRow >= len(head) {
		return p, planErrorf("bad_header_row", "the file has %d rows, fewer than header_row", len(head))
	}
	if p.HeaderRow < 0 {
		if o.Mapping != nil {
			return p, planErrorf("bad_mapping", "mapping names headers, but the file has no header row")
		}
		for j := range p.Sources {
			p.Sources[j] = j
		}
		return p, checkRequired(t, p)
	}
	headers := head[p.HeaderRow]
	column := map[string]int{}
	for j, c := range t.Columns {
		column[c.Key] = j
	}
	if o.Mapping != nil {
		missing := 0
		for h, key := range o.Mapping {
			j, ok := column[key]
			if !ok {
				return p, planErrorf("bad_mapping", "mapping names a key the template does not have: %s", key)
			}
			i := slices.Index(headers, h)
			if i < 0 {
				missing++
				continue
			}
			if p.Sources[j] >= 0 {
				return p, planErrorf("bad_mapping", "mapping maps two headers to the key %s", key)
			}
			p.Sources[j] = i
		}
		if missing > 0 {
			return p, planErrorf("bad_mapping", "%d headers named in mapping are not in the file's header row", missing)
		}
		return p, checkRequired(t, p)
	}
	minConf := o.MinConfidence
	if minConf == 0 {
		minConf = DefaultMinConfidence
	}
	hints := mapping.ValueHints(t, mapping.SampleColumns(head[p.HeaderRow+1:], len(headers)))
	for i, prop := range mapping.MatchLearned(t, headers, hints, learned) {
		if prop.Key != "" && prop.Confidence >= minConf {
			p.Sources[column[prop.Key]] = i
		}
	}
	return p, checkRequired(t, p)
}

// headerNames are what header detection recognises: keys and labels.
func headerNames(t *template.Template) []string {
	names := make([]string, 0, 2*len(t.Columns))
	for _, c := range t.Columns {
		names = append(names, c.Key)
		if c.Label != "" {
			names = append(names, c.Label)
		}
	}
	return names
}

// checkRequired refuses a plan that leaves a required column without a
// file column: every row would fail it.
func checkRequired(t *template.Template, p Plan) error {
	var unmapped []string
	for j, c := range t.Columns {
		if c.Required && c.Default == nil && p.Sources[j] < 0 {
			unmapped = append(unmapped, c.Key)
		}
	}
	if len(unmapped) > 0 {
		return planErrorf("unmapped_required", "no column of the file maps to the required template columns %s", strings.Join(unmapped, ", "))
	}
	return nil
}

// Rows yields a parsed file's data rows in template column order (nil for
// an empty or unmapped cell), starting with the rows read for the plan.
// The parser drops blank rows, as the widget's does; Rows remembers where
// (one entry per run of blank rows), so that an error names the row of the
// file, at any time: duplicates are found when the import completes.
type Rows struct {
	rd    parse.Reader
	plan  Plan
	head  [][]string
	next  int   // index into head of the next row to yield
	read  int64 // rows the parser returned, head included
	skips []skipPoint
	cells []string
	ptrs  []*string
}

// skipPoint says that from the parser's row k on, skipped blank rows came
// before it.
type skipPoint struct{ k, skipped int64 }

// Open parses a file and plans its mapping onto t (with the importer's
// learned mappings, see MakePlan): the one way into a file for the
// server's job and the command line's dry run.
func Open(r io.ReaderAt, size int64, name string, t *template.Template, o Options, learned []mapping.LearnedPair,
	limits parse.Limits) (*Rows, Settings, error) {
	rd, err := parse.Open(r, size, name, parse.Options{Sheet: o.Sheet, Delimiter: o.Delimiter, Encoding: o.Encoding,
		ValidUTF8: o.validUTF8, Limits: limits})
	if err != nil {
		return nil, Settings{}, err
	}
	rs := &Rows{rd: rd}
	for len(rs.head) < headRows {
		row, err := rs.parsed()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rd.Close()
			return nil, Settings{}, err
		}
		rs.head = append(rs.head, slices.Clone(row))
	}
	if rs.plan, err = MakePlan(t, rs.head, o, learned); err != nil {
		rd.Close()
		return nil, Settings{}, err
	}
	rs.next = rs.plan.FirstDataRow()
	rs.cells, rs.ptrs = make([]string, len(rs.plan.Sources)), make([]*string, len(rs.plan.Sources))
	s := rd.Settings()
	return rs, Settings{Format: s.Format, Delimiter: s.Delimiter, Encoding: s.Encoding, Sheet: s.Sheet, HeaderRow: rs.plan.HeaderRow + 1}, nil
}

// parsed reads the parser's next row and notes the blank rows before it.
func (rs *Rows) parsed() ([]string, error) {
	row, err := rs.rd.Next()
	if err != nil {
		return nil, err
	}
	if sk := rs.rd.Skipped(); sk > 0 && (len(rs.skips) == 0 || rs.skips[len(rs.skips)-1].skipped != sk) {
		rs.skips = append(rs.skips, skipPoint{rs.read, sk})
	}
	rs.read++
	return row, nil
}

// Settings are what the parser detected and the plan chose.
type Settings struct {
	Format, Delimiter, Encoding, Sheet string
	// HeaderRow is the 1-based header row among the file's non-blank
	// rows, 0 for none.
	HeaderRow int
}

// Plan returns the mapping in use.
func (rs *Rows) Plan() Plan { return rs.plan }

// Next returns the next data row, valid until the next call, or io.EOF.
func (rs *Rows) Next() ([]*string, error) {
	var row []string
	if rs.next < len(rs.head) {
		row = rs.head[rs.next]
		rs.next++
	} else {
		var err error
		if row, err = rs.parsed(); err != nil {
			return nil, err
		}
	}
	for j, src := range rs.plan.Sources {
		rs.ptrs[j] = nil
		if src >= 0 && src < len(row) && row[src] != "" {
			rs.cells[j] = row[src]
			rs.ptrs[j] = &rs.cells[j]
		}
	}
	return rs.ptrs, nil
}

// FileRow is the 1-based row in the file of data row i (0-based), blank
// rows counted.
func (rs *Rows) FileRow(i int64) int64 {
	k := i + int64(rs.plan.FirstDataRow())
	j, found := slices.BinarySearchFunc(rs.skips, k, func(p skipPoint, k int64) int {
		return cmp.Compare(p.k, k)
	})
	if !found {
		j--
	}
	var skipped int64
	if j >= 0 {
		skipped = rs.skips[j].skipped
	}
	return k + 1 + skipped
}

// Skipped is the number of blank rows dropped so far.
func (rs *Rows) Skipped() int64 { return rs.rd.Skipped() }

// Close releases the parser.
func (rs *Rows) Close() error { return rs.rd.Close() }
