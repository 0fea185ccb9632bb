package parse

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/intakehq/intake/internal/template"
)

// Numbers as Excel's General format shows them (numbers.ts): rounded to 15
// significant digits as ECMAScript's toPrecision(15) rounds (half up on the
// exact binary value, where strconv rounds half to even), then the
// shortest decimal that reads back as the same double, in plain notation.

const excelDigits = 15

// generalNumber writes the number a cell's value text denotes as Excel's
// General format would with room enough; text that is not a finite number
// (as ECMAScript's Number reads it) is returned unchanged.
func generalNumber(text string) string {
	if text == "" || canonical(text) {
		return text
	}
	x, ok := jsNumber(text)
	if !ok || math.IsInf(x, 0) || math.IsNaN(x) {
		return text
	}
	if x == 0 {
		return "0"
	}
	y, err := strconv.ParseFloat(toPrecision(x, excelDigits), 64)
	if err != nil || math.IsInf(y, 0) {
		// The largest doubles round past the largest double at 15 digits.
		y = x
	}
	return plainShortest(y)
}

// canonical reports a decimal that is already what generalNumber writes:
// optional '-', no leading zero, no exponent, a fraction without trailing
// zero, at most 15 digits, not zero. Such a decimal reads as the one double
// whose 15-digit and shortest forms are itself, so no float is needed; most
// cells of a workbook take this path.
func canonical(s string) bool {
	if s[0] == '-' {
		s = s[1:]
	}
	if s == "" || s[0] == '0' && (len(s) == 1 || s[1] != '.') {
		return false
	}
	digits, nonzero, dot := 0, false, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if c != '0' || nonzero {
				digits++
			}
			nonzero = nonzero || c != '0'
		case c == '.' && dot < 0 && i > 0:
			dot = i
		default:
			return false
		}
	}
	return nonzero && digits <= excelDigits && (dot < 0 || dot < len(s)-1 && s[len(s)-1] != '0')
}

// isJSDecimal reports ^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$, the decimal
// literals ECMAScript's Number reads.
func isJSDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsNumber is ECMAScript's Number(text) for the texts a workbook holds:
// trimmed, decimal or 0x/0o/0b integers, Infinity; ok false for NaN.
func jsNumber(text string) (float64, bool) {
	s := template.Trim(text)
	if s == "" {
		return 0, true
	}
	switch strings.TrimLeft(s, "+-") {
	case "Infinity":
		if s == "Infinity" || s == "+Infinity" {
			return math.Inf(1), true
		}
		if s == "-Infinity" {
			return math.Inf(-1), true
		}
		return 0, false
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			v, ok := new(big.Int).SetString(s[2:], base)
			if !ok {
				return 0, false
			}
			f, _ := new(big.Float).SetInt(v).Float64()
			return f, true
		}
	}
	if !isJSDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// toPrecision is ECMAScript's x.toPrecision(p) digits in exponent form
// (for ParseFloat): of two nearest, the larger in magnitude.
func toPrecision(x float64, p int) string {
	s := strconv.FormatFloat(x, 'e', p+5, 64)
	// Only an exact tie after digit p needs the exact value: strconv
	// rounds it to even.
	mant := strings.TrimPrefix(s[:strings.IndexByte(s, 'e')], "-")
	digits := strings.Replace(mant, ".", "", 1)
	if digits[p] != '5' || strings.Trim(digits[p+1:], "0") != "" {
		return strconv.FormatFloat(x, 'e', p-1, 64)
	}
	exact := new(big.Float).SetFloat64(math.Abs(x)).Text('e', 1100)
	e := strings.IndexByte(exact, 'e')
	all := strings.Replace(exact[:e], ".", "", 1)
	exp, _ := strconv.Atoi(exact[e+1:])
	kept := []byte(all[:p])
	if all[p] >= '5' {
		// Half up: a tie goes up.
		i := p - 1
		for ; i >= 0 && kept[i] == '9'; i-- {
			kept[i] = '0'
		}
		if i < 0 {
			kept = append([]byte{'1'}, kept[:p-1]...)
			exp++
		} else {
			kept[i]++
		}
	}
	sign := ""
	if x < 0 {
		sign = "-"
	}
	return sign + string(kept[:1]) + "." + string(kept[1:]) + "e" + strconv.Itoa(exp)
}

// plainShortest writes y's shortest round-trip digits (as ECMAScript's
// Number-to-String chooses them) without an exponent (numbers.ts plain).
func plainShortest(y float64) string {
	s := strconv.FormatFloat(y, 'e', -1, 64)
	negative := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	e := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[e+1:])
	digits := strings.Replace(s[:e], ".", "", 1)
	point := 1 + exp
	var out string
	switch {
	case point <= 0:
		out = "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		out = digits + strings.Repeat("0", point-len(digits))
	default:
		out = digits[:point] + "." + digits[point:]
	}
	if negative {
		return "-" + out
	}
	return out
}
