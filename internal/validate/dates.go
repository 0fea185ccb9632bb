package validate

import (
	"slices"
	"strings"

	"github.com/intakehq/intake/internal/template"
)

// dateCheck implements date, datetime and time: the format language of
// docs/templates.md, ISO 8601 output and Excel serial numbers.
type dateCheck struct {
	typ     template.Type
	formats []dateFormat
	serial  string // "1900", "1904", "off" or "" (time)
	fail    *failure
}

// dateFormat is a format with what the engine derives from it once.
type dateFormat struct {
	template.DateFormat
	// width is the length every match has when each item has a fixed
	// width (literals and two- or four-digit fields), else -1: a value of
	// another length cannot match, and none of its bytes need reading.
	width int
	// canonical: the format is the column type's output layout
	// (YYYY-MM-DD, YYYY-MM-DD[T]HH:mm:ss, HH:mm:ss), so a match that is a
	// valid moment is its own output.
	canonical bool
}

// canonicalLayouts are the output layouts, by type, as formats.
var canonicalLayouts = map[template.Type]string{
	template.Date: "YYYY-MM-DD", template.DateTime: "YYYY-MM-DD[T]HH:mm:ss", template.Time: "HH:mm:ss",
}

func newDateFormat(f template.DateFormat, typ template.Type) (dateFormat, error) {
	d := dateFormat{DateFormat: f}
	for _, it := range f.Items {
		w := numericFields[it.Tok]
		switch {
		case it.Tok == template.TokLiteral:
			d.width += len(it.Literal)
		case w.lo > 0 && w.lo == w.hi:
			d.width += w.lo
		default:
			d.width = -1
		}
		if d.width < 0 {
			break
		}
	}
	layout, err := template.ParseDateFormat(canonicalLayouts[typ], typ)
	if err != nil {
		return d, err
	}
	d.canonical = d.width >= 0 && slices.Equal(f.Items, layout.Items)
	return d, nil
}

func newDateCheck(c *template.Column) (*dateCheck, error) {
	d := &dateCheck{typ: c.Type, serial: c.ExcelSerial}
	for _, src := range c.Formats {
		f, err := template.ParseDateFormat(src, c.Type)
		if err != nil {
			return nil, err
		}
		df, err := newDateFormat(f, c.Type)
		if err != nil {
			return nil, err
		}
		d.formats = append(d.formats, df)
	}
	code := map[template.Type]string{template.Date: CodeInvalidDate, template.DateTime: CodeInvalidDateTime, template.Time: CodeInvalidTime}[c.Type]
	d.fail = fail(code, "formats", strings.Join(c.Formats, " | "))
	return d, nil
}

// moment is what a format match yields.
type moment struct {
	year, month, day  int
	hour, minute, sec int
	frac              string // fraction-of-second digits, trailing zeros removed
	pm, twelve        bool
	zone              bool
	offsetMin         int // minutes east of UTC
}

var monthNames = [12]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

func (d *dateCheck) check(v string, ar *arena) (string, *failure) {
	for i := range d.formats {
		f := &d.formats[i]
		if f.width >= 0 && len(v) != f.width {
			continue
		}
		if f.canonical && d.typ == template.Date {
			if isoDate(v) {
				return v, nil
			}
			continue
		}
		if m, ok := match(&f.DateFormat, v); ok && m.valid() {
			if f.canonical {
				return v, nil
			}
			if out, ok := d.output(m, v, ar); ok {
				return out, nil
			}
		}
	}
	if d.serial == "1900" || d.serial == "1904" {
		if m, ok := excelSerial(v, d.serial == "1904", d.typ == template.DateTime); ok {
			if out, ok := d.output(m, v, ar); ok {
				return out, nil
			}
		}
	}
	return "", d.fail
}

// isoDate is match and valid for the format YYYY-MM-DD, written out: the
// usual format of a date column, and v of its length.
func isoDate(v string) bool {
	if v[4] != '-' || v[7] != '-' {
		return false
	}
	y0, y1, y2, y3 := v[0]-'0', v[1]-'0', v[2]-'0', v[3]-'0'
	m0, m1, d0, d1 := v[5]-'0', v[6]-'0', v[8]-'0', v[9]-'0'
	if max(y0, y1, y2, y3, m0, m1, d0, d1) > 9 { // a byte below '0' wraps above 9
		return false
	}
	y := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	m, d := int(m0)*10+int(m1), int(d0)*10+int(d1)
	return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// digits reads between lo and hi ASCII digits (greedy) at v[i:].
func digits(v string, i, lo, hi int) (n, next int, ok bool) {
	j := i
	for j < len(v) && j-i < hi && isDigit(v[j]) {
		n = n*10 + int(v[j]-'0')
		j++
	}
	return n, j, j-i >= lo
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// numericFields gives each numeric token the number of digits it reads
// (lo to hi, greedy); other tokens have none.
var numericFields = [template.TokZ + 1]struct{ lo, hi int }{
	template.TokYYYY: {4, 4}, template.TokYY: {2, 2},
	template.TokMM: {2, 2}, template.TokM: {1, 2},
	template.TokDD: {2, 2}, template.TokD: {1, 2},
	template.TokHH: {2, 2}, template.TokH: {1, 2}, template.Tokhh: {2, 2}, template.Tokh: {1, 2},
	template.Tokmm: {2, 2}, template.Tokss: {2, 2},
}

// set stores the value n of a numeric token.
func (m *moment) set(tok template.Token, n int) {
	switch tok {
	case template.TokYYYY:
		m.year = n
	case template.TokYY:
		m.year = n + 1900
		if n < 69 {
			m.year = n + 2000
		}
	case template.TokMM, template.TokM:
		m.month = n
	case template.TokDD, template.TokD:
		m.day = n
	case template.TokHH, template.TokH:
		m.hour = n
	case template.Tokhh, template.Tokh:
		m.hour, m.twelve = n, true
	case template.Tokmm:
		m.minute = n
	case template.Tokss:
		m.sec = n
	}
}

// match runs one format over the whole of v, left to right, without backtracking.
func match(f *template.DateFormat, v string) (moment, bool) {
	m := moment{year: 1, month: 1, day: 1}
	i := 0
	var ok bool
	for _, it := range f.Items {
		if w := numericFields[it.Tok]; w.lo > 0 {
			var n int
			if n, i, ok = digits(v, i, w.lo, w.hi); !ok {
				return m, false
			}
			m.set(it.Tok, n)
			continue
		}
		switch it.Tok {
		case template.TokLiteral:
			if !strings.HasPrefix(v[i:], it.Literal) {
				return m, false
			}
			i += len(it.Literal)
			continue
		case template.TokMMMM:
			ok = false
			for k, name := range monthNames {
				if hasPrefixFold(v[i:], name) {
					m.month, i, ok = k+1, i+len(name), true
					break
				}
			}
		case template.TokMMM:
			ok = false
			for k, name := range monthNames {
				if hasPrefixFold(v[i:], name[:3]) {
					m.month, i, ok = k+1, i+3, true
					break
				}
			}
		case template.TokSSS:
			start := i
			_, i, ok = digits(v, i, 1, 9)
			m.frac = strings.TrimRight(v[start:i], "0")
		case template.TokA:
			ok = hasPrefixFold(v[i:], "am") || hasPrefixFold(v[i:], "pm")
			if ok {
				m.pm = v[i] == 'p' || v[i] == 'P'
				i += 2
			}
		case template.TokZ:
			i, ok = matchZone(&m, v, i)
		}
		if !ok {
			return m, false
		}
	}
	return m, i == len(v)
}

func matchZone(m *moment, v string, i int) (int, bool) {
	m.zone = true
	if i < len(v) && v[i] == 'Z' {
		return i + 1, true
	}
	if i >= len(v) || (v[i] != '+' && v[i] != '-') {
		return i, false
	}
	sign := 1
	if v[i] == '-' {
		sign = -1
	}
	h, j, ok := digits(v, i+1, 2, 2)
	if !ok {
		return i, false
	}
	if j < len(v) && v[j] == ':' {
		j++
	}
	mi, j, ok := digits(v, j, 2, 2)
	if !ok || h > 23 || mi > 59 {
		return i, false
	}
	m.offsetMin = sign * (h*60 + mi)
	return j, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// valid checks ranges and turns a 12-hour clock into 24 hours.
func (m *moment) valid() bool {
	if m.twelve {
		if m.hour < 1 || m.hour > 12 {
			return false
		}
		m.hour %= 12
		if m.pm {
			m.hour += 12
		}
		m.twelve = false
	}
	return m.year >= 1 && m.year <= 9999 && m.month >= 1 && m.month <= 12 &&
		m.day >= 1 && m.day <= daysIn(m.year, m.month) &&
		m.hour <= 23 && m.minute <= 59 && m.sec <= 59
}

// daysFromCivil counts days since 1970-01-01 in the proleptic Gregorian
// calendar (H. Hinnant's algorithm), so both engines share exact arithmetic.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

var (
	epoch1900 = daysFromCivil(1899, 12, 30)
	epoch1904 = daysFromCivil(1904, 1, 1)
)

// excelSerial reads an Excel serial number ^[0-9]{1,7}(\.[0-9]{1,9})?$.
func excelSerial(v string, system1904, withTime bool) (moment, bool) {
	n, i, ok := digits(v, 0, 1, 7)
	if !ok {
		return moment{}, false
	}
	fracDigits := ""
	if i < len(v) {
		if v[i] != '.' {
			return moment{}, false
		}
		start := i + 1
		_, i, ok = digits(v, start, 1, 9)
		if !ok || i != len(v) {
			return moment{}, false
		}
		fracDigits = v[start:i]
	}
	var day int
	switch {
	case system1904:
		if n > 2957003 {
			return moment{}, false
		}
		day = epoch1904 + n
	case n < 1 || n == 60 || n > 2958465:
		return moment{}, false
	case n < 60:
		day = epoch1900 + 1 + n
	default:
		day = epoch1900 + n
	}
	var secs int
	if withTime && fracDigits != "" {
		f, pow := 0, 1
		for k := 0; k < len(fracDigits); k++ {
			f = f*10 + int(fracDigits[k]-'0')
			pow *= 10
		}
		secs = (f*86400*2 + pow) / (2 * pow)
		if secs == 86400 {
			day++
			secs = 0
		}
	}
	var m moment
	m.year, m.month, m.day = civilFromDays(day)
	m.hour, m.minute, m.sec = secs/3600, secs/60%60, secs%60
	return m, m.year <= 9999
}

// output formats m as ISO 8601 for the column's type, converting a zoned
// datetime to UTC. It returns v itself when v is already that text.
func (d *dateCheck) output(m moment, v string, ar *arena) (string, bool) {
	if m.zone && m.offsetMin != 0 {
		mins := daysFromCivil(m.year, m.month, m.day)*1440 + m.hour*60 + m.minute - m.offsetMin
		day := mins / 1440
		if mins < 0 && mins%1440 != 0 {
			day--
		}
		rest := mins - day*1440
		m.year, m.month, m.day = civilFromDays(day)
		m.hour, m.minute = rest/60, rest%60
		if m.year < 1 || m.year > 9999 {
			return "", false
		}
	}
	var buf [40]byte
	b := buf[:0]
	if d.typ != template.Time {
		b = append4(b, m.year)
		b = append(b, '-')
		b = append2(b, m.month)
		b = append(b, '-')
		b = append2(b, m.day)
	}
	if d.typ == template.DateTime {
		b = append(b, 'T')
	}
	if d.typ != template.Date {
		b = append2(b, m.hour)
		b = append(b, ':')
		b = append2(b, m.minute)
		b = append(b, ':')
		b = append2(b, m.sec)
		if m.frac != "" {
			b = append(b, '.')
			b = append(b, m.frac...)
		}
		if m.zone {
			b = append(b, 'Z')
		}
	}
	if string(b) == v {
		return v, true
	}
	return ar.string(b), true
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}
