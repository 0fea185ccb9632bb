package parse

import (
	"math"
	"regexp"
	"strings"
	"time"
)

// Excel date serials and number formats (dates.ts): the cell's number
// format is the only sign that a number is a date.

// dateKind is what a number format shows of a serial.
type dateKind int

const (
	kindNone dateKind = iota
	kindDate
	kindDateTime
	kindTime
	kindElapsed
)

// builtinKinds are the built-in number formats that are dates or times
// (ECMA-376 18.8.30), by what they show.
var builtinKinds = func() map[int]dateKind {
	m := map[int]dateKind{22: kindDateTime, 78: kindDateTime, 46: kindElapsed, 80: kindElapsed}
	for _, id := range []int{14, 15, 16, 17, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58, 71, 72, 73, 74, 75} {
		m[id] = kindDate
	}
	for _, id := range []int{18, 19, 20, 21, 32, 33, 45, 47, 55, 56, 76, 77, 79, 81} {
		m[id] = kindTime
	}
	return m
}()

var (
	reElapsed     = regexp.MustCompile(`(?i)\[(h+|m+|s+)\]`)
	reQuoted      = regexp.MustCompile(`"[^"]*"|\\.`)
	reQuotedFill  = regexp.MustCompile(`"[^"]*"|\\.|_.|\*.`)
	reBracket     = regexp.MustCompile(`\[[^\]]*\]`)
	reBracketTime = regexp.MustCompile(`(?i)^\[(h+|m+|s+)\]$`)
	reGeneral     = regexp.MustCompile(`(?i)general`)
	reTokens      = regexp.MustCompile(`(?i)AM/PM|A/P|y+|m+|d+|h+|s+`)
)

// kindOf says what number format id (with its code, for a custom one)
// shows of a number (dates.ts dateKind).
func kindOf(id int, code string, custom bool) dateKind {
	if !custom {
		return builtinKinds[id]
	}
	elapsed := reElapsed.MatchString(reQuoted.ReplaceAllString(code, ""))
	bare := reQuotedFill.ReplaceAllString(code, "")
	bare = reBracket.ReplaceAllStringFunc(bare, func(m string) string {
		if reBracketTime.MatchString(m) {
			return m[1 : len(m)-1]
		}
		return ""
	})
	section := reGeneral.ReplaceAllString(strings.SplitN(bare, ";", 2)[0], "")
	tokens := reTokens.FindAllString(section, -1)
	date, tm := false, false
	first := func(i int) byte {
		if i < 0 || i >= len(tokens) {
			return 0
		}
		return lower(tokens[i][0])
	}
	for i, tok := range tokens {
		t := strings.ToLower(tok)
		switch {
		case t == "am/pm" || t == "a/p":
			tm = true
		case t[0] == 'm':
			if first(i-1) == 'h' || first(i+1) == 's' {
				tm = true
			} else {
				date = true
			}
		case t[0] == 'h' || t[0] == 's':
			tm = true
		default:
			date = true
		}
	}
	switch {
	case date && tm:
		return kindDateTime
	case date:
		return kindDate
	case tm && elapsed:
		return kindElapsed
	case tm:
		return kindTime
	}
	return kindNone
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

func clock(seconds int64) string {
	b := pad(nil, seconds/3600, 2)
	b = append(b, ':')
	b = pad(b, seconds/60%60, 2)
	b = append(b, ':')
	return string(pad(b, seconds%60, 2))
}

// pad appends n with at least width digits, as String(n).padStart(width, "0").
func pad(b []byte, n int64, width int) []byte {
	var digits [20]byte
	i := len(digits)
	for n >= 10 || len(digits)-i < width-1 {
		i--
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	digits[i] = byte('0' + n)
	return append(b, digits[i:]...)
}

// serialToISO formats an Excel serial (≥ 0) as ISO 8601 as its kind asks
// (dates.ts serialToISO, with a kind always known here).
func serialToISO(serial float64, date1904 bool, kind dateKind) string {
	days := int64(math.Floor(serial))
	var seconds int64
	if kind != kindDate {
		seconds = int64(math.Round((serial - float64(days)) * 86400))
	}
	if seconds == 86400 {
		days++
		seconds = 0
	}
	if kind == kindElapsed {
		return clock(int64(math.Round(serial * 86400)))
	}
	tm := clock(seconds)
	if kind == kindTime && days == 0 {
		return tm
	}
	withTime := kind != kindDate
	if !date1904 && days == 0 && withTime {
		return tm
	}
	var date string
	if !date1904 && days == 60 {
		date = "1900-02-29"
	} else {
		epoch := epoch1900
		shift := int64(0)
		if date1904 {
			epoch = epoch1904
		} else if days < 60 {
			shift = 1
		}
		d := epoch.AddDate(0, 0, int(days+shift))
		b := pad(make([]byte, 0, 19), int64(d.Year()), 4)
		b = append(b, '-')
		b = pad(b, int64(d.Month()), 2)
		b = append(b, '-')
		date = string(pad(b, int64(d.Day()), 2))
	}
	if withTime {
		return date + " " + tm
	}
	return date
}

var (
	reISODate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?`)
	reISOTime = regexp.MustCompile(`^T?(\d{2}:\d{2}:\d{2})`)
)

// isoCellToISO formats a t="d" cell's ISO value as serialToISO does for
// the same kind; without one, midnight is a date (dates.ts isoCellToISO).
func isoCellToISO(value string, kind dateKind) string {
	m := reISODate.FindStringSubmatch(value)
	if m == nil {
		t := reISOTime.FindStringSubmatch(value)
		if t != nil && (kind == kindTime || kind == kindElapsed) {
			return t[1]
		}
		return value
	}
	tm := m[2]
	if tm == "" {
		tm = "00:00:00"
	}
	switch {
	case kind == kindDate:
		return m[1]
	case kind == kindTime && m[1] == "1899-12-30":
		return tm
	case kind == kindNone && tm == "00:00:00":
		return m[1]
	}
	return m[1] + " " + tm
}
