package template

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Decimal is an exact decimal number in canonical form (see "number" in
// docs/templates.md): no "+", no leading zeros, no trailing fraction zeros,
// "0" for zero. Bounds are kept as strings so that a 30-digit bound means the
// same thing in Go and in JavaScript, where JSON numbers are doubles.
type Decimal string

// UnmarshalJSON accepts a JSON number or a string holding a plain decimal
// ([+-]digits[.digits], no exponent).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	c, ok := CanonicalDecimal(s)
	if !ok {
		return fmt.Errorf("bound is not a plain decimal number (digits, optional sign and fraction, no exponent)")
	}
	*d = Decimal(c)
	return nil
}

// CanonicalDecimal returns the canonical form of s, a plain decimal
// "[+-]d+(.d+)?", and whether s had that form.
func CanonicalDecimal(s string) (string, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if !allDigits(intPart) || intPart == "" || (hasPoint && (frac == "" || !allDigits(frac))) {
		return "", false
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if out == "0" {
		return out, true
	}
	if neg {
		out = "-" + out
	}
	return out, true
}

// CompareDecimal compares two canonical decimals exactly: -1 if a < b, 0 if
// equal, +1 if a > b. Both engines compare this way, never through floats.
func CompareDecimal(a, b string) int {
	an, bn := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an && bn:
		return -compareAbs(a[1:], b[1:])
	}
	return compareAbs(a, b)
}

func compareAbs(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		if len(ai) < len(bi) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	// Canonical fractions have no trailing zeros, so string order is numeric order.
	return strings.Compare(af, bf)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
