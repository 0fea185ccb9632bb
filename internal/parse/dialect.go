package parse

import (
	"bytes"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
)

// The dialect detection of dialect.ts, step by step (docs/parsing.md, 2–5).
// The text is UTF-8 here where the widget's is UTF-16: only the sample's
// length is counted in UTF-16 code units, as the widget counts it.

// candidates are the delimiters detection chooses from, in the order that
// wins a tie.
var candidates = []string{"\t", ";", "|", ","}

const (
	defaultDelimiter = ","
	scoredRecords    = 100
	sampleUnits      = 1 << 20
)

// dialect is what detection found at the start of a text.
type dialect struct {
	delimiter string
	linebreak string
	// skip is the bytes of the text taken by the sep= line, its line break
	// included.
	skip int
}

// sepLine reads Excel's delimiter hint: "sep=" (ASCII case-insensitive),
// one code point that is not CR, LF, '"' or U+FEFF, then a line break or
// the end of the text. It returns the delimiter and the line's length with
// its line break, or ok false.
func sepLine(text []byte) (delimiter string, length int, ok bool) {
	if len(text) < 5 || !bytes.EqualFold(text[:4], []byte("sep=")) {
		return "", 0, false
	}
	r, size := utf8.DecodeRune(text[4:])
	if r == '\r' || r == '\n' || r == '"' || r == 0xfeff {
		return "", 0, false
	}
	end := 4 + size
	delimiter = string(text[4:end])
	switch {
	case end == len(text):
		return delimiter, end, true
	case bytes.HasPrefix(text[end:], []byte("\r\n")):
		return delimiter, end + 2, true
	case text[end] == '\r' || text[end] == '\n':
		return delimiter, end + 1, true
	}
	return "", 0, false
}

// detectLinebreak is the first line break outside quotes, where every '"'
// flips quotes; when every one is inside quotes, the first of the text;
// "\n" when there is none.
func detectLinebreak(text []byte) string {
	first := -1
	quoted := false
	for i, c := range text {
		switch c {
		case '"':
			quoted = !quoted
		case '\r', '\n':
			if !quoted {
				return breakAt(text, i)
			}
			if first < 0 {
				first = i
			}
		}
	}
	if first < 0 {
		return "\n"
	}
	return breakAt(text, first)
}

func breakAt(text []byte, i int) string {
	if text[i] == '\n' {
		return "\n"
	}
	if i+1 < len(text) && text[i+1] == '\n' {
		return "\r\n"
	}
	return "\r"
}

// spaceAt reports a trim-set character at text[i] and its length.
func spaceAt(text []byte, i int) (bool, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return c == ' ' || (c >= 9 && c <= 13), 1
	}
	r, size := utf8.DecodeRune(text[i:])
	return template.IsSpace(r), size
}

// fieldCounts splits text into records with the one-byte delimiter d and
// line break lb and returns the field count of each of the first
// scoredRecords non-blank records (dialect.ts fieldCounts). With cut set, a
// last record no line break ends is not counted.
func fieldCounts(text []byte, d byte, lb []byte, cut bool) []int {
	var counts []int
	n := len(text)
	i := 0
	for i < n && len(counts) < scoredRecords {
		if bytes.HasPrefix(text[i:], lb) {
			i += len(lb)
			continue
		}
		fields := 1
		ended := false
		for {
			if i < n && text[i] == '"' {
				from := i + 1
				for {
					q := bytes.IndexByte(text[from:], '"')
					if q < 0 {
						i = n
						break
					}
					q += from
					if q+1 < n && text[q+1] == '"' {
						from = q + 2
						continue
					}
					k := q + 1
					for k < n && text[k] != d && !bytes.HasPrefix(text[k:], lb) {
						space, size := spaceAt(text, k)
						if !space {
							break
						}
						k += size
					}
					if k == n || text[k] == d || bytes.HasPrefix(text[k:], lb) {
						i = k
						break
					}
					from = q + 1
				}
			} else {
				nextD := bytes.IndexByte(text[i:], d)
				nextLb := bytes.Index(text[i:], lb)
				switch {
				case nextD >= 0 && (nextLb < 0 || nextD < nextLb):
					i += nextD
				case nextLb >= 0:
					i += nextLb
				default:
					i = n
				}
			}
			if i >= n {
				break
			}
			if text[i] == d {
				fields++
				i++
				if i >= n {
					break
				}
				continue
			}
			i += len(lb)
			ended = true
			break
		}
		if !ended && cut {
			break
		}
		counts = append(counts, fields)
	}
	return counts
}

// score is how well field counts fit a table: ok false when records with
// two fields or more are not more than half of them, else the records
// sharing the most common count of two or more, out of all.
func score(counts []int) (same, of int, ok bool) {
	multi := 0
	freq := map[int]int{}
	for _, c := range counts {
		if c < 2 {
			continue
		}
		multi++
		freq[c]++
	}
	if 2*multi <= len(counts) {
		return 0, 0, false
	}
	for _, f := range freq {
		same = max(same, f)
	}
	return same, len(counts), true
}

// sniffDialect detects the dialect of a text from its sample; cut says the
// text goes on after it.
func sniffDialect(sample []byte, cut bool) dialect {
	sep, skip, hasSep := sepLine(sample)
	rest := sample[skip:]
	lb := detectLinebreak(rest)
	if hasSep {
		return dialect{delimiter: sep, linebreak: lb, skip: skip}
	}
	delimiter := defaultDelimiter
	bestSame, bestOf, found := 0, 0, false
	for _, d := range candidates {
		same, of, ok := score(fieldCounts(rest, d[0], []byte(lb), cut))
		if ok && (!found || same*bestOf > bestSame*of) {
			bestSame, bestOf, found = same, of, true
			delimiter = d
		}
	}
	return dialect{delimiter: delimiter, linebreak: lb}
}

// sampleEnd is the byte length of the first sampleUnits UTF-16 code units
// of text, and whether text holds that many (the sample is then cut). A
// character above U+FFFF whose first code unit is the last one counted is
// taken whole: UTF-8 cannot hold half of it, as the widget's string can.
func sampleEnd(text []byte) (int, bool) {
	units := 0
	for i, c := range text {
		if units >= sampleUnits && utf8.RuneStart(c) {
			return i, true
		}
		switch {
		case c < 0x80 || (c >= 0xc0 && c < 0xf0):
			units++
		case c >= 0xf0:
			units += 2
		}
	}
	return len(text), units >= sampleUnits
}
