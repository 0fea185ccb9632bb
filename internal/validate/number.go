package validate

import (
	"strings"

	"github.com/intakehq/intake/internal/template"
)

type numberCheck struct {
	decimal   byte   // '.' or ','
	thousands string // "", ",", ".", " ", "'"
	integer   bool
	min, max  string // canonical bounds, "" when unbounded
	fMin      *failure
	fMax      *failure
}

func newNumberCheck(c *template.Column) *numberCheck {
	n := &numberCheck{decimal: '.', thousands: c.ThousandsSeparator, integer: c.Integer}
	if c.DecimalSeparator == "," {
		n.decimal = ','
	}
	if c.Min != nil {
		n.min = string(*c.Min)
		n.fMin = fail(CodeTooSmall, "min", n.min)
	}
	if c.Max != nil {
		n.max = string(*c.Max)
		n.fMax = fail(CodeTooLarge, "max", n.max)
	}
	return n
}

var (
	failNotANumber   = fail(CodeNotANumber)
	failNotAnInteger = fail(CodeNotAnInteger)
)

func (n *numberCheck) check(v string, ar *arena) (string, *failure) {
	out, ok := parseNumber(v, n.decimal, n.thousands, ar)
	if !ok {
		return "", failNotANumber
	}
	if n.integer && strings.IndexByte(out, '.') >= 0 {
		return "", failNotAnInteger
	}
	if n.min != "" && template.CompareDecimal(out, n.min) < 0 {
		return "", n.fMin
	}
	if n.max != "" && template.CompareDecimal(out, n.max) > 0 {
		return "", n.fMax
	}
	return out, nil
}

// sepLen returns the byte length of a thousands separator at v[i:], or 0.
// The space separator also accepts U+00A0 and U+202F.
func sepLen(v string, i int, thousands string) int {
	switch {
	case thousands == "" || i >= len(v):
		return 0
	case v[i] == thousands[0]:
		return 1
	case thousands == " " && strings.HasPrefix(v[i:], "\u00a0"):
		return 2
	case thousands == " " && strings.HasPrefix(v[i:], "\u202f"):
		return 3
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseNumber reads the number grammar of docs/templates.md and returns the
// canonical decimal. When the canonical form is a substring of v (no
// separators, "." as decimal point) it is returned as is, else built in ar.
func parseNumber(v string, decimal byte, thousands string, ar *arena) (string, bool) {
	i := 0
	neg := false
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		neg = v[i] == '-'
		i++
	}
	intStart := i
	for i < len(v) && isDigit(v[i]) {
		i++
	}
	firstGroup := i - intStart
	grouped := false
	if firstGroup > 0 && sepLen(v, i, thousands) > 0 {
		if firstGroup > 3 {
			return "", false
		}
		grouped = true
		for {
			s := sepLen(v, i, thousands)
			if s == 0 {
				break
			}
			j := i + s
			if j+3 > len(v) || !isDigit(v[j]) || !isDigit(v[j+1]) || !isDigit(v[j+2]) || (j+3 < len(v) && isDigit(v[j+3])) {
				return "", false
			}
			i = j + 3
		}
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(v) && v[i] == decimal {
		i++
		fracStart = i
		for i < len(v) && isDigit(v[i]) {
			i++
		}
		fracEnd = i
		if fracEnd == fracStart {
			return "", false
		}
	}
	if i != len(v) || (intEnd == intStart && fracEnd == fracStart) {
		return "", false
	}
	// Canonical pieces: integer digits without leading zeros, fraction without trailing zeros.
	for fracEnd > fracStart && v[fracEnd-1] == '0' {
		fracEnd--
	}
	lead := intStart
	for lead < intEnd && (v[lead] == '0' || sepLen(v, lead, thousands) > 0) {
		lead++
	}
	hasFrac := fracEnd > fracStart
	if lead == intEnd && !hasFrac {
		return "0", true
	}
	if !grouped && decimal == '.' {
		switch {
		case lead < intEnd && !neg:
			// "007.50" → "7.5", "+5" → "5"
			if hasFrac {
				return v[lead:fracEnd], true
			}
			return v[lead:intEnd], true
		case lead < intEnd && neg && lead == intStart:
			if hasFrac {
				return v[:fracEnd], true
			}
			return v[:intEnd], true
		case lead == intEnd && !neg && lead > intStart:
			return v[lead-1 : fracEnd], true // "00.5" → "0.5"
		}
	}
	var buf [64]byte
	b := buf[:0]
	if neg {
		b = append(b, '-')
	}
	if lead == intEnd {
		b = append(b, '0')
	}
	for j := lead; j < intEnd; j++ {
		if isDigit(v[j]) {
			b = append(b, v[j])
		}
	}
	if hasFrac {
		b = append(b, '.')
		b = append(b, v[fracStart:fracEnd]...)
	}
	return ar.string(b), true
}
