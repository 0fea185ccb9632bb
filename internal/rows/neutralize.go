package rows

// formulaStart marks the first bytes that make a spreadsheet treat a cell as
// a formula (or, for tab, CR, LF and NUL, let one hide behind them), per
// OWASP's CSV injection guidance.
var formulaStart = [256]bool{'=': true, '+': true, '-': true, '@': true, '\t': true, '\r': true, '\n': true, 0: true}

// NeedsNeutralizing reports whether a cell must get a leading apostrophe so
// that a spreadsheet shows it as text instead of running it. A plain number
// ("-12.5", "+3e4") is left alone: a spreadsheet reads it as the same number
// either way, and prefixing it would corrupt every negative amount.
func NeedsNeutralizing(s string) bool {
	return len(s) > 0 && formulaStart[s[0]] && !isPlainNumber(s)
}

// isPlainNumber: optional sign, digits, optional fraction, optional exponent.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
