// Package mapping proposes which template column each header of an uploaded
// file holds, and guesses which of a sheet's first rows is the header row.
// The end user confirms the proposal in the widget; the widget's TypeScript
// twin follows the same scores (docs/templates.md, "Column matching") and
// both pass testdata/conformance/mapping.
//
// Headers are file structure, not cell values, but this package still logs
// nothing and returns no error text built from them.
package mapping

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/intakehq/intake/internal/template"
)

// Proposal is what Match proposes for one header: the template key it maps
// to ("" for none) and how sure the matcher is (0–1; 1 = exact key or label).
// (It cannot be called Match: Go has one namespace for funcs and types.)
type Proposal struct {
	Header     string  `json:"header"`
	Key        string  `json:"key"`
	Confidence float64 `json:"confidence"`
}

// Scores of the match kinds, from the most to the least certain.
const (
	scoreExact      = 1.0
	scoreNormalised = 0.95
	scoreSynonym    = 0.9
	fuzzyWeight     = 0.8
	fuzzyThreshold  = 0.75

	// maxFuzzyBytes bounds fuzzy matching (quadratic in length) to headers
	// and targets whose compact form has at most 64 bytes of UTF-8.
	maxFuzzyBytes = 64
)

// target is a column's key, label or synonym in its comparable forms.
type target struct {
	raw     string
	norm    string
	compact string
	tokens  []string
	synonym bool
}

type candidate struct {
	header, column int
	score          float64
}

// Match proposes a mapping for headers, one Proposal per header in order. No
// two headers get the same column; ties go to the earlier header, then the
// earlier column.
func Match(t *template.Template, headers []string) []Proposal {
	targets := make([][]target, len(t.Columns))
	for j, c := range t.Columns {
		targets[j] = append(targets[j], newTarget(c.Key, false), newTarget(c.Label, false))
		for _, s := range c.Synonyms {
			targets[j] = append(targets[j], newTarget(s, true))
		}
	}
	var cands []candidate
	for i, h := range headers {
		if template.Trim(h) == "" {
			continue
		}
		ht := newTarget(h, false)
		for j := range t.Columns {
			if s := score(ht, targets[j]); s > 0 {
				cands = append(cands, candidate{i, j, s})
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if cands[a].header != cands[b].header {
			return cands[a].header < cands[b].header
		}
		return cands[a].column < cands[b].column
	})
	out := make([]Proposal, len(headers))
	for i, h := range headers {
		out[i].Header = h
	}
	used := make([]bool, len(t.Columns))
	for _, c := range cands {
		if out[c.header].Key != "" || used[c.column] {
			continue
		}
		used[c.column] = true
		out[c.header].Key = t.Columns[c.column].Key
		out[c.header].Confidence = c.score
	}
	return out
}

func newTarget(s string, synonym bool) target {
	n := normalise(s)
	return target{raw: template.Trim(s), norm: n, compact: strings.ReplaceAll(n, " ", ""), tokens: strings.Fields(n), synonym: synonym}
}

// score is the best score of header h against a column's targets, 0 if none.
func score(h target, targets []target) float64 {
	best := 0.0
	for _, t := range targets {
		s := 0.0
		switch {
		case !t.synonym && h.raw == t.raw:
			s = scoreExact
		case h.norm != "" && (h.norm == t.norm || h.compact == t.compact):
			s = scoreNormalised
			if t.synonym {
				s = scoreSynonym
			}
		case len(h.compact) <= maxFuzzyBytes && len(t.compact) <= maxFuzzyBytes:
			if r := max(dice(h.tokens, t.tokens), similarity(h.compact, t.compact)); r >= fuzzyThreshold {
				s = fuzzyWeight * r
			}
		}
		best = max(best, s)
	}
	return best
}

// normalise is the comparable form of a header or target: camelCase split,
// accents removed, folded, runs of anything but letters and numbers turned
// into one space, trimmed.
func normalise(s string) string {
	s = template.Trim(s)
	var split strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && 'A' <= s[i] && s[i] <= 'Z' && 'a' <= s[i-1] && s[i-1] <= 'z' {
			split.WriteByte(' ')
		}
		split.WriteByte(s[i])
	}
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(split.String()) {
		switch {
		case r >= 0x300 && r <= 0x36F:
			continue
		case !unicode.IsLetter(r) && !unicode.IsNumber(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// dice is the Sørensen–Dice coefficient of two token sets.
func dice(a, b []string) float64 {
	sa, sb := set(a), set(b)
	if len(sa)+len(sb) == 0 {
		return 0
	}
	common := 0
	for k := range sa {
		if sb[k] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(sa)+len(sb))
}

func set(tokens []string) map[string]bool {
	m := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		m[t] = true
	}
	return m
}

// similarity is 1 − OSA distance / longer length, on code points.
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	n := max(len(ra), len(rb))
	if n == 0 {
		return 0
	}
	return 1 - float64(osa(ra, rb))/float64(n)
}

// osa is the optimal-string-alignment distance: Levenshtein plus the
// transposition of two adjacent characters.
func osa(a, b []rune) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// headerScanRows is how many rows DetectHeaderRow looks at.
const headerScanRows = 25

// DetectHeaderRow guesses which of a sheet's first rows holds the headers
// (0-based), or returns -1 when the sheet has none. A row is wide enough when
// it has at least half as many non-empty cells as the widest. When the first
// wide-enough row is mostly data (numbers, dates) and none of its cells is
// one of names (the template's column labels and keys, compared normalised
// as Match does), the sheet has no header row: -1. Before either rule, a row
// naming two or more template columns (or the only one) is the header, the
// one naming most when several do. Otherwise the header is the first
// wide-enough row with no repeated values and no data-like cell, and 0 when
// none is (docs/parsing.md).
func DetectHeaderRow(rows [][]string, names []string) int {
	if len(rows) > headerScanRows {
		rows = rows[:headerScanRows]
	}
	widest := 0
	for _, r := range rows {
		widest = max(widest, filled(r))
	}
	need := max(1, (widest+1)/2)
	if i, ok := namedRow(rows, names, need); ok {
		return i
	}
	for _, r := range rows {
		if filled(r) >= need {
			if dataRow(r) && !namesMatch(r, names) {
				return -1
			}
			break
		}
	}
	for i, r := range rows {
		if filled(r) >= need && distinct(r) && !anyDataLike(r) {
			return i
		}
	}
	return 0
}

// namedRow finds the row that names the most template columns (first on a
// tie), when it names at least two, or the template's only name: such a
// row is the header whatever stands above it (a title, a date, a blank
// line), even when it is narrower than a title block's widest row.
func namedRow(rows [][]string, names []string, need int) (int, bool) {
	known := compactNames(names)
	best, bestCount := -1, 0
	for i, r := range rows {
		seen := map[string]bool{}
		for _, c := range r {
			if k := compactName(c); known[k] {
				seen[k] = true
			}
		}
		if len(seen) > bestCount {
			best, bestCount = i, len(seen)
		}
	}
	if best < 0 || bestCount < min(2, len(known)) {
		return 0, false
	}
	// One name alone (a one-column template) must also be on a wide-enough
	// row: a title that happens to be that name is no header.
	return best, bestCount >= 2 || filled(rows[best]) >= need
}

// compactName is a name in the form header detection compares: normalise
// without spaces (Match's normalised match holds exactly when these are
// equal).
func compactName(s string) string {
	return strings.ReplaceAll(normalise(s), " ", "")
}

// compactNames is the set of the compact forms of names, the empty one left out.
func compactNames(names []string) map[string]bool {
	known := make(map[string]bool, len(names))
	for _, name := range names {
		if c := compactName(name); c != "" {
			known[c] = true
		}
	}
	return known
}

// dataRow reports a row whose non-empty cells are more than half data-like.
func dataRow(r []string) bool {
	cells, data := 0, 0
	for _, c := range r {
		c = template.Trim(c)
		if c == "" {
			continue
		}
		cells++
		if dataLike(c) {
			data++
		}
	}
	return 2*data > cells
}

// namesMatch reports a cell of r whose compact form (normalise without
// spaces: Match's normalised match holds exactly when these are equal) is
// that of one of names.
func namesMatch(r []string, names []string) bool {
	known := compactNames(names)
	for _, c := range r {
		if known[compactName(c)] {
			return true
		}
	}
	return false
}

func filled(r []string) int {
	n := 0
	for _, c := range r {
		if template.Trim(c) != "" {
			n++
		}
	}
	return n
}

func distinct(r []string) bool {
	seen := map[string]bool{}
	for _, c := range r {
		c = template.Trim(c)
		if c == "" {
			continue
		}
		if seen[c] {
			return false
		}
		seen[c] = true
	}
	return true
}

func anyDataLike(r []string) bool {
	for _, c := range r {
		if dataLike(template.Trim(c)) {
			return true
		}
	}
	return false
}

// dataLike reports a cell made only of digits, spaces and + - . , / : with
// at least one digit: a number, a date or a time, never a header.
func dataLike(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case c >= utf8.RuneSelf || !strings.ContainsRune("+-.,/: ", rune(c)):
			return false
		}
	}
	return digit
}
