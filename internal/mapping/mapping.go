// Package mapping proposes which template column each header of an uploaded
// file holds, and guesses which of a sheet's first rows is the header row.
// Headers are read against a concept dictionary (concepts.json, which the
// widget bundles too), so that "E-mail Address", "Courriel" and "dob" find
// their columns on a template without synonyms and "Email consent" finds
// none; value hints (ValueHints, from up to SampleSize sampled rows) prefer
// a column whose values the template column accepts. The end user confirms
// the proposal in the widget; the widget's TypeScript twin follows the same
// scores (docs/templates.md, "Column matching") and both pass
// testdata/conformance/mapping.
//
// Headers are file structure, not cell values, but this package still logs
// nothing and returns no error text built from them; sampled values are
// only counted, never kept, returned or logged.
package mapping

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/intakehq/intake/internal/template"
)

// Proposal is what Match proposes for one header: the template key it maps
// to ("" for none), how sure the matcher is (0–1; 1 = exact key or label)
// and that certainty in words (Level).
// (It cannot be called Match: Go has one namespace for funcs and types.)
type Proposal struct {
	Header     string  `json:"header"`
	Key        string  `json:"key"`
	Confidence float64 `json:"confidence"`
	Level      Level   `json:"level,omitempty"`
}

// Level is a confidence in words, as the widget shows it.
type Level string

// The levels, from the most to the least certain; "" for no proposal.
const (
	Exact  Level = "exact"
	Likely Level = "likely"
	Guess  Level = "guess"
	// Learned is a proposal from the importer's learned mappings: an end
	// user of this importer chose this key for this header before.
	Learned Level = "learned"
)

// LevelOf is the level of a confidence: exact from 0.95 (the key, the label
// or their normalised forms), likely from 0.75, guess below.
func LevelOf(confidence float64) Level {
	switch {
	case confidence <= 0:
		return ""
	case confidence >= 0.95:
		return Exact
	case confidence >= 0.75:
		return Likely
	}
	return Guess
}

// Scores of the match kinds, from the most to the least certain.
const (
	scoreExact      = 1.0
	scoreNormalised = 0.95
	scoreSynonym    = 0.9
	fuzzyWeight     = 0.8
	fuzzyThreshold  = 0.75

	// Concept scores are in points (hundredths), so that both engines add
	// integers and agree to the last bit.
	pointsConcept = 85
	pointsParent  = 70
	pointsUnknown = 5
	pointsIndex   = 10
	pointsOwner   = 1
	pointsWeak    = 5
	maxUnknown    = 2

	// Value hints (docs/templates.md): a share of valid sampled values.
	hintGood    = 0.9
	hintBad     = 0.1
	hintBonus   = 0.05
	hintCap     = 0.94
	scoreValues = 0.5

	// maxFuzzyBytes bounds fuzzy matching (quadratic in length) to headers
	// and targets whose compact form has at most 64 bytes of UTF-8.
	maxFuzzyBytes = 64
)

// target is a column's key, label or synonym in its comparable forms.
type target struct {
	raw     string
	norm    string
	compact string
	// set is the distinct tokens (for Dice); letters the sorted code points
	// of compact (for the bag-distance bound).
	set     []string
	letters []rune
	runes   []rune
	synonym bool
}

// columnConcept is a concept a column is tied to by one of its names, with
// the words and index of that name.
type columnConcept struct {
	concept string
	parent  string
	unknown []string
	index   int
}

type candidate struct {
	header, column int
	score          float64
}

// Match proposes a mapping for headers, one Proposal per header in order. No
// two headers get the same column; ties go to the earlier header, then the
// earlier column.
func Match(t *template.Template, headers []string) []Proposal {
	return MatchValues(t, headers, nil)
}

// LearnedPair is one learned mapping: a header (compared in its Normalise
// form) and the template key an end user chose for it.
type LearnedPair struct {
	Header string `json:"header"`
	Key    string `json:"key"`
}

// MatchLearned is MatchValues with the importer's learned mappings: a header
// whose normalised form was learned gets its learned key first (confidence 1,
// level Learned) when that key is a column of t and no earlier header took
// it; the other headers are matched as MatchValues does, among the columns
// left.
func MatchLearned(t *template.Template, headers []string, hints [][]float64, learned []LearnedPair) []Proposal {
	if len(learned) == 0 {
		return MatchValues(t, headers, hints)
	}
	byHeader := make(map[string]string, len(learned))
	for _, p := range learned {
		if h := normalise(p.Header); h != "" {
			if _, seen := byHeader[h]; !seen {
				byHeader[h] = p.Key
			}
		}
	}
	column := make(map[string]int, len(t.Columns))
	for j, c := range t.Columns {
		column[c.Key] = j
	}
	taken := make([]int, len(headers))
	used := make([]bool, len(t.Columns))
	for i, h := range headers {
		taken[i] = -1
		j, ok := column[byHeader[normalise(h)]]
		if ok && !used[j] && template.Trim(h) != "" {
			taken[i], used[j] = j, true
		}
	}
	return matchAmong(t, headers, hints, taken, used)
}

// MatchValues is Match with value hints: hints[i][j] is the share (0–1) of
// the sampled values of header i that column j accepts, or -1 for no hint
// (ValueHints computes them; nil: no hints at all).
func MatchValues(t *template.Template, headers []string, hints [][]float64) []Proposal {
	return matchAmong(t, headers, hints, nil, make([]bool, len(t.Columns)))
}

// matchAmong matches headers to columns; taken[i] (nil: none) is a column
// header i already has (a learned one), used the columns so taken.
func matchAmong(t *template.Template, headers []string, hints [][]float64, taken []int, used []bool) []Proposal {
	targets := make([][]target, len(t.Columns))
	concepts := make([][]columnConcept, len(t.Columns))
	for j, c := range t.Columns {
		names := []string{c.Key, c.Label}
		targets[j] = append(targets[j], newTarget(c.Key, false), newTarget(c.Label, false))
		for _, s := range c.Synonyms {
			targets[j] = append(targets[j], newTarget(s, true))
			names = append(names, s)
		}
		for _, n := range names {
			if a := analyse(n); a.concept != "" && !a.qualified {
				concepts[j] = append(concepts[j], columnConcept{a.concept, dict().parent[a.concept], a.unknown, a.index})
			}
		}
	}
	analyses := make([]analysis, len(headers))
	given, family := false, false
	for i, h := range headers {
		analyses[i] = analyse(h)
		analyses[i].parent = dict().parent[analyses[i].concept]
		given = given || analyses[i].concept == "given_name"
		family = family || analyses[i].concept == "family_name"
	}
	// A bare "Name" beside a given name and no family name is the family
	// name ("Vorname, Name"), and the converse ("Nombre, Apellidos").
	// Such a header is not the full name, even one the template labels
	// "Name", when the template has a column for what it is: renamed[i]
	// then keeps its name scores off full-name columns.
	renamed := make([]bool, len(headers))
	for i := range analyses {
		if a := &analyses[i]; a.bare && a.concept == "full_name" {
			switch {
			case given && !family:
				a.concept, a.parent = "family_name", ""
			case family && !given:
				a.concept, a.parent = "given_name", ""
			default:
				continue
			}
			for _, cs := range concepts {
				renamed[i] = renamed[i] || tiedTo(cs, a.concept)
			}
		}
	}
	var cands []candidate
	var buf osaBuffers
	for i, h := range headers {
		if template.Trim(h) == "" || (taken != nil && taken[i] >= 0) {
			continue
		}
		ht := newTarget(h, false)
		if ht.norm == "" {
			continue
		}
		// A header holding a field separator is a row read with the wrong
		// one ("Name;Email"): only its exact or normalised name counts.
		split := strings.ContainsAny(h, ";|\t")
		for j := range t.Columns {
			fuzzy := !split && !analyses[i].qualified && !unrelated(analyses[i], concepts[j])
			name := 0.0
			if !renamed[i] || !tiedTo(concepts[j], "full_name") {
				name = score(ht, targets[j], fuzzy, &buf)
			}
			s := name
			if !split {
				s = max(s, conceptScore(analyses[i], concepts[j]))
			}
			if hints != nil && i < len(hints) && j < len(hints[i]) {
				s = hinted(s, hints[i][j], t.Columns[j].Type)
			}
			if s > 0 {
				cands = append(cands, candidate{i, j, s})
			}
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.score != b.score:
			return cmp.Compare(b.score, a.score)
		case a.header != b.header:
			return a.header - b.header
		}
		return a.column - b.column
	})
	out := make([]Proposal, len(headers))
	for i, h := range headers {
		out[i].Header = h
		if taken != nil && taken[i] >= 0 {
			out[i].Key, out[i].Confidence, out[i].Level = t.Columns[taken[i]].Key, 1, Learned
		}
	}
	for _, c := range cands {
		if out[c.header].Key != "" || used[c.column] {
			continue
		}
		used[c.column] = true
		out[c.header].Key = t.Columns[c.column].Key
		out[c.header].Confidence = c.score
		out[c.header].Level = LevelOf(c.score)
	}
	return out
}

// hinted applies a value hint to a name score: a column whose values are
// almost all invalid is not proposed (unless its name is the key or label),
// one whose values are valid is preferred, and an email or URL column may be
// proposed for its values alone.
func hinted(s, hint float64, typ template.Type) float64 {
	switch {
	case hint < 0:
		return s
	case hint <= hintBad:
		if s < scoreNormalised {
			return 0
		}
	case hint >= hintGood:
		if s > 0 && s < scoreNormalised {
			return min(hintCap, s+hintBonus)
		}
		if s == 0 && (typ == template.Email || typ == template.URL) {
			return scoreValues
		}
	}
	return s
}

// unrelated reports a header the dictionary reads whole (no unknown word)
// as a concept the column is not tied to, when the column is tied to some:
// then a look-alike ("County", "Country") is not matched letter by letter.
func unrelated(a analysis, cs []columnConcept) bool {
	c := a.concept
	if c == "" || len(a.unknown) > 0 || len(cs) == 0 {
		return false
	}
	for _, x := range cs {
		if c == x.concept || a.parent == x.concept || x.parent == c {
			return false
		}
	}
	return true
}

func tiedTo(cs []columnConcept, c string) bool {
	for _, x := range cs {
		if x.concept == c {
			return true
		}
	}
	return false
}

// conceptScore is the score of a header's analysis for a column tied to
// concepts cs, 0 if none applies.
func conceptScore(a analysis, cs []columnConcept) float64 {
	if a.qualified || a.concept == "" {
		return 0
	}
	best := 0
	for _, c := range cs {
		base := 0
		switch {
		case a.concept == c.concept:
			base = pointsConcept
		case a.parent == c.concept:
			base = pointsParent
		default:
			continue
		}
		diff := symmetricDifference(a.unknown, c.unknown)
		if diff > maxUnknown {
			continue
		}
		p := base - pointsUnknown*diff - pointsOwner*a.owners
		if a.weak {
			p -= pointsWeak
		}
		if a.index != c.index {
			p -= pointsIndex
		}
		best = max(best, p)
	}
	return float64(best) / 100
}

// symmetricDifference counts the distinct words in one list and not the other.
func symmetricDifference(a, b []string) int {
	n := 0
	for i, x := range a {
		if !contains(b, x) && !contains(a[:i], x) {
			n++
		}
	}
	for i, x := range b {
		if !contains(a, x) && !contains(b[:i], x) {
			n++
		}
	}
	return n
}

func newTarget(s string, synonym bool) target {
	n := normalise(s)
	c := strings.ReplaceAll(n, " ", "")
	var set []string
	for _, tok := range strings.Fields(n) {
		if !contains(set, tok) {
			set = append(set, tok)
		}
	}
	runes := []rune(c)
	letters := slices.Clone(runes)
	slices.Sort(letters)
	return target{raw: template.Trim(s), norm: n, compact: c, set: set, letters: letters, runes: runes, synonym: synonym}
}

// score is the best name score of header h against a column's targets, 0 if
// none; fuzzy false leaves out letter-by-letter similarity.
func score(h target, targets []target, fuzzy bool, buf *osaBuffers) float64 {
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
		case fuzzy && len(h.compact) <= maxFuzzyBytes && len(t.compact) <= maxFuzzyBytes:
			if r := fuzzyRatio(h, t, buf); r >= fuzzyThreshold {
				s = fuzzyWeight * r
			}
		}
		best = max(best, s)
	}
	return best
}

// fuzzyRatio is the larger of token Dice and character similarity. The
// distance is skipped when a lower bound of it (the bag distance: the code
// points of one string not matched in the other, which no edit or
// transposition beats) shows it cannot reach the threshold or beat Dice: the
// result is the same, only faster.
func fuzzyRatio(h, t target, buf *osaBuffers) float64 {
	d := dice(h.set, t.set)
	n := max(len(h.runes), len(t.runes))
	if n == 0 {
		return d
	}
	if bound := 1 - float64(max(len(h.runes), len(t.runes))-min(len(h.runes), len(t.runes)))/float64(n); bound < fuzzyThreshold || bound <= d {
		return d
	}
	bound := 1 - float64(bagDistance(h.letters, t.letters))/float64(n)
	if bound < fuzzyThreshold || bound <= d {
		return d
	}
	return max(d, buf.similarity(h.runes, t.runes))
}

// bagDistance is the larger count of code points of a or b (sorted) left
// over once equal ones are paired.
func bagDistance(a, b []rune) int {
	common := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			common++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return max(len(a), len(b)) - common
}

// Normalise is the comparable form of a header, as the matcher and learned
// mappings (MatchLearned) compare it: see normalise. The widget's
// normalise.ts follows the same rule.
func Normalise(s string) string { return normalise(s) }

// normalise is the comparable form of a header or target: camelCase split
// (a lower-case letter then a capital, a capital then a capital and a
// lower-case letter: "ZIPCode"), letters and digits apart ("Address1"), accents
// removed, folded, runs of anything but letters and numbers turned into one
// space, trimmed. All splitting is on ASCII.
func normalise(s string) string {
	s = template.Trim(s)
	var split strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && boundary(s, i) {
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

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// boundary reports a word boundary before s[i] (i > 0).
func boundary(s string, i int) bool {
	p, c := s[i-1], s[i]
	switch {
	case isLower(p) && isUpper(c):
		return true
	case isUpper(p) && isUpper(c) && i+2 < len(s) && isLower(s[i+1]) && isLower(s[i+2]):
		return true
	case (isLower(p) || isUpper(p)) && isDigit(c), isDigit(p) && (isLower(c) || isUpper(c)):
		return true
	}
	return false
}

// dice is the Sørensen–Dice coefficient of two sets of distinct tokens.
func dice(a, b []string) float64 {
	if len(a)+len(b) == 0 {
		return 0
	}
	common := 0
	for _, x := range a {
		if contains(b, x) {
			common++
		}
	}
	return 2 * float64(common) / float64(len(a)+len(b))
}

// osaBuffers are the rows of the distance, kept from one call to the next.
type osaBuffers struct{ prev2, prev, cur []int }

// similarity is 1 − OSA distance / longer length, on code points.
func (buf *osaBuffers) similarity(a, b []rune) float64 {
	n := max(len(a), len(b))
	if n == 0 {
		return 0
	}
	return 1 - float64(buf.osa(a, b))/float64(n)
}

// osa is the optimal-string-alignment distance: Levenshtein plus the
// transposition of two adjacent characters.
func (buf *osaBuffers) osa(a, b []rune) int {
	if cap(buf.prev) < len(b)+1 {
		buf.prev2, buf.prev, buf.cur = make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	}
	prev2, prev, cur := buf.prev2[:len(b)+1], buf.prev[:len(b)+1], buf.cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
		prev2[j] = 0
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
