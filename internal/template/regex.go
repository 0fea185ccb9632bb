package template

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxPatternLength bounds a regex column's pattern.
const MaxPatternLength = 1000

// maxRepeat is RE2's repeat limit; JavaScript has none, so the subset takes RE2's.
const maxRepeat = 1000

// errRegexInvalid and errRegexUnsupported tell the two template check codes
// apart: a pattern neither engine accepts, and one outside the shared subset.
var (
	errRegexInvalid     = errors.New("invalid pattern")
	errRegexUnsupported = errors.New("outside the regex subset")
)

// generalCategories are the \p{…} names both RE2 and JavaScript accept.
var generalCategories = map[string]bool{
	"L": true, "Lu": true, "Ll": true, "Lt": true, "Lm": true, "Lo": true,
	"M": true, "Mn": true, "Mc": true, "Me": true,
	"N": true, "Nd": true, "Nl": true, "No": true,
	"P": true, "Pc": true, "Pd": true, "Ps": true, "Pe": true, "Pi": true, "Pf": true, "Po": true,
	"S": true, "Sm": true, "Sc": true, "Sk": true, "So": true,
	"Z": true, "Zs": true, "Zl": true, "Zp": true,
}

// CompileRegex compiles a pattern of Intake's regex subset (docs/templates.md)
// into a Go regexp that matches exactly the strings a JavaScript RegExp with
// the u flag matches against ^(?:pattern)$. A pattern outside the subset is
// refused, so the two engines can never disagree on a value.
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > MaxPatternLength {
		return nil, fmt.Errorf("%w: longer than %d characters", errRegexUnsupported, MaxPatternLength)
	}
	if !utf8.ValidString(pattern) {
		return nil, fmt.Errorf("%w: not valid UTF-8", errRegexInvalid)
	}
	p := &reParser{src: pattern}
	if err := p.alternation(); err != nil {
		return nil, err
	}
	if p.pos < len(p.src) { // only a stray ')' stops alternation early
		return nil, fmt.Errorf("%w: unmatched ')' at offset %d", errRegexInvalid, p.pos)
	}
	re, err := regexp.Compile(`^(?:` + p.out.String() + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errRegexInvalid, err)
	}
	return re, nil
}

type reParser struct {
	src   string
	pos   int
	depth int
	out   strings.Builder
}

func (p *reParser) peek() (rune, int) {
	if p.pos >= len(p.src) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(p.src[p.pos:])
}

func (p *reParser) invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s at offset %d", errRegexInvalid, fmt.Sprintf(format, a...), p.pos)
}

func (p *reParser) unsupported(format string, a ...any) error {
	return fmt.Errorf("%w: %s at offset %d", errRegexUnsupported, fmt.Sprintf(format, a...), p.pos)
}

func (p *reParser) alternation() error {
	for {
		if err := p.sequence(); err != nil {
			return err
		}
		if r, _ := p.peek(); r != '|' {
			return nil
		}
		p.out.WriteByte('|')
		p.pos++
	}
}

// sequence reads terms up to '|', ')' or the end.
func (p *reParser) sequence() error {
	for {
		r, size := p.peek()
		switch r {
		case -1, '|':
			return nil
		case ')':
			if p.depth == 0 {
				return p.invalid("unmatched ')'")
			}
			return nil
		case '*', '+', '?':
			return p.invalid("nothing to repeat")
		case '{':
			if _, _, _, ok := p.braces(); ok {
				return p.invalid("nothing to repeat")
			}
			return p.unsupported("'{' must be escaped")
		case '^', '$':
			p.out.WriteRune(r)
			p.pos += size
			if q, _ := p.peek(); q == '*' || q == '+' || q == '?' || q == '{' {
				return p.invalid("an anchor cannot be repeated")
			}
			continue
		}
		if err := p.atom(); err != nil {
			return err
		}
		if err := p.quantifier(); err != nil {
			return err
		}
	}
}

func (p *reParser) atom() error {
	r, size := p.peek()
	switch r {
	case '(':
		p.pos += size
		if strings.HasPrefix(p.src[p.pos:], "?") {
			if !strings.HasPrefix(p.src[p.pos:], "?:") {
				return p.unsupported("only (?: ) groups are supported")
			}
			p.pos += 2
		}
		p.out.WriteString("(?:")
		p.depth++
		if err := p.alternation(); err != nil {
			return err
		}
		p.depth--
		if q, _ := p.peek(); q != ')' {
			return p.invalid("missing ')'")
		}
		p.pos++
		p.out.WriteByte(')')
		return nil
	case '[':
		return p.class()
	case '.':
		p.pos += size
		p.out.WriteString(`[^\n\r\x{2028}\x{2029}]`)
		return nil
	case '\\':
		return p.escape(false)
	case ']', '}':
		return p.unsupported("%q must be escaped", r)
	case '/':
		return p.unsupported("'/' must be escaped")
	}
	p.pos += size
	p.out.WriteRune(r)
	return nil
}

// braces parses {n}, {n,} or {n,m} at the current position without consuming it.
func (p *reParser) braces() (n, m, length int, ok bool) {
	s := p.src[p.pos:]
	end := strings.IndexByte(s, '}')
	if !strings.HasPrefix(s, "{") || end < 0 {
		return 0, 0, 0, false
	}
	lo, hi, comma := strings.Cut(s[1:end], ",")
	if lo == "" || !allDigits(lo) || (comma && hi != "" && !allDigits(hi)) || len(lo) > 6 || len(hi) > 6 {
		return 0, 0, 0, false
	}
	n, _ = strconv.Atoi(lo)
	m = n
	if comma {
		m = -1
		if hi != "" {
			m, _ = strconv.Atoi(hi)
		}
	}
	return n, m, end + 1, true
}

func (p *reParser) quantifier() error {
	r, _ := p.peek()
	switch r {
	case '*', '+', '?':
		p.pos++
		p.out.WriteRune(r)
	case '{':
		n, m, length, ok := p.braces()
		if !ok {
			return p.unsupported("'{' must be escaped")
		}
		if m >= 0 && n > m {
			return p.invalid("repeat {%d,%d} out of order", n, m)
		}
		if n > maxRepeat || m > maxRepeat {
			return p.unsupported("repeat count over %d", maxRepeat)
		}
		p.out.WriteString(p.src[p.pos : p.pos+length])
		p.pos += length
	default:
		return nil
	}
	if q, _ := p.peek(); q == '?' {
		p.pos++
		p.out.WriteByte('?')
	}
	if q, _ := p.peek(); q == '*' || q == '+' || q == '?' || q == '{' {
		return p.invalid("nothing to repeat")
	}
	return nil
}

// escape translates one escape sequence into Go syntax; inside a class
// (inClass) "\-" is allowed too, as in JavaScript's u mode.
func (p *reParser) escape(inClass bool) error {
	p.pos++ // the backslash
	r, size := p.peek()
	if r == -1 {
		return p.invalid("'\\' at the end")
	}
	p.pos += size
	switch {
	case strings.ContainsRune(`dDwW`, r):
		p.out.WriteByte('\\')
		p.out.WriteRune(r)
	case strings.ContainsRune(`tnrfv`, r):
		p.out.WriteByte('\\')
		p.out.WriteRune(r)
	case r == 'x':
		h, ok := p.hex(2)
		if !ok {
			return p.unsupported(`\x needs two hex digits`)
		}
		fmt.Fprintf(&p.out, `\x{%x}`, h)
	case r == 'u':
		h, ok := p.hex(4)
		if !ok {
			return p.unsupported(`\u needs four hex digits`)
		}
		if h >= 0xD800 && h <= 0xDFFF {
			return p.unsupported(`\u surrogates are not supported`)
		}
		fmt.Fprintf(&p.out, `\x{%x}`, h)
	case r == 'p' || r == 'P':
		s := p.src[p.pos:]
		end := strings.IndexByte(s, '}')
		if !strings.HasPrefix(s, "{") || end < 0 || !generalCategories[s[1:end]] {
			return p.unsupported(`\p{…} takes a general category such as L, Lu or Nd`)
		}
		p.out.WriteByte('\\')
		p.out.WriteRune(r)
		p.out.WriteString(s[:end+1])
		p.pos += end + 1
	case strings.ContainsRune(`^$\.*+?()[]{}|/`, r) || (inClass && r == '-'):
		writeLiteral(&p.out, r)
	default:
		return p.unsupported(`\%c is not supported`, r)
	}
	return nil
}

func (p *reParser) hex(n int) (int, bool) {
	if p.pos+n > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += n
	return int(v), true
}

// classChar reads one single character of a class (a literal or a character
// escape) and returns it, or single=false when the item is a class escape
// such as \d that cannot be a range end.
func (p *reParser) classChar() (r rune, single bool, err error) {
	start := p.pos
	c, size := p.peek()
	switch c {
	case -1:
		return 0, false, p.invalid("missing ']'")
	case '[':
		return 0, false, p.unsupported("'[' inside a class must be escaped")
	case '/':
		return 0, false, p.unsupported("'/' must be escaped")
	case '\\':
		if err := p.escape(true); err != nil {
			return 0, false, err
		}
		esc := p.src[start+1 : p.pos]
		switch esc[0] {
		case 'd', 'D', 'w', 'W', 'p', 'P':
			return 0, false, nil
		case 't':
			r = '\t'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 'f':
			r = '\f'
		case 'v':
			r = '\v'
		case 'x', 'u':
			v, _ := strconv.ParseUint(esc[1:], 16, 32)
			r = rune(v)
		default:
			r, _ = utf8.DecodeRuneInString(esc)
		}
		return r, true, nil
	}
	p.pos += size
	writeLiteral(&p.out, c)
	return c, true, nil
}

func (p *reParser) class() error {
	p.pos++ // '['
	p.out.WriteByte('[')
	if r, _ := p.peek(); r == '^' {
		p.pos++
		p.out.WriteByte('^')
	}
	if r, _ := p.peek(); r == ']' {
		return p.unsupported("empty class")
	}
	first := true
	for {
		r, _ := p.peek()
		if r == ']' {
			p.pos++
			p.out.WriteByte(']')
			return nil
		}
		if r == '-' {
			p.pos++
			if next, _ := p.peek(); !first && next != ']' {
				return p.unsupported("'-' is literal only first or last in a class")
			}
			p.out.WriteString(`\-`)
			first = false
			continue
		}
		lo, single, err := p.classChar()
		if err != nil {
			return err
		}
		first = false
		if next, _ := p.peek(); next != '-' || strings.HasPrefix(p.src[p.pos:], "-]") {
			continue
		}
		// A range lo-hi.
		if !single {
			return p.unsupported("a class escape cannot start a range")
		}
		p.pos++
		p.out.WriteByte('-')
		hi, single, err := p.classChar()
		if err != nil {
			return err
		}
		if !single {
			return p.unsupported("a class escape cannot end a range")
		}
		if hi < lo {
			return p.invalid("range out of order")
		}
	}
}

// writeLiteral writes r so that Go reads it literally inside or outside a class.
func writeLiteral(b *strings.Builder, r rune) {
	if r < utf8.RuneSelf && strings.ContainsRune(`\.+*?()|[]{}^$-/`, r) {
		b.WriteByte('\\')
	}
	b.WriteRune(r)
}
