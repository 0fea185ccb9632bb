package validate

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/intakehq/intake/internal/phone"
	"github.com/intakehq/intake/internal/template"
)

type ipCheck struct {
	version string
	fail    *failure
}

func (c *ipCheck) check(v string, ar *arena) (string, *failure) {
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" || (c.version == "4" && !a.Is4()) || (c.version == "6" && a.Is4()) {
		return "", c.fail
	}
	if a.Is4() {
		return v, nil // ParseAddr refuses leading zeros, so v is already canonical
	}
	var buf [64]byte
	if b := a.AppendTo(buf[:0]); string(b) != v {
		return ar.string(b), nil
	}
	return v, nil
}

// phoneCheck gives nyaruka/phonenumbers' answer (valid, and E.164) through
// internal/phone's table-driven fast path.
type phoneCheck struct{ p *phone.Parser }

var failInvalidPhone = fail(CodeInvalidPhone)

func (c phoneCheck) check(v string, ar *arena) (string, *failure) {
	var buf [32]byte
	b, ok := c.p.AppendE164(buf[:0], v)
	switch {
	case !ok:
		return "", failInvalidPhone
	case string(b) == v:
		return v, nil
	}
	return ar.string(b), nil
}

type regexCheck struct {
	re   *regexp.Regexp
	fail *failure
}

func (c *regexCheck) check(v string, ar *arena) (string, *failure) {
	if !c.re.MatchString(v) {
		return "", c.fail
	}
	return v, nil
}

// Country and currency tables are data shared with the widget's engine
// (testdata/conformance/README.md): both embed these files.
var (
	//go:embed data/countries.json
	countriesJSON []byte
	//go:embed data/currencies.json
	currenciesJSON []byte
)

// tables is built once from the embedded files; it is immutable afterwards.
var tables = sync.OnceValues(func() (t struct {
	countries  map[string]string
	currencies map[string]bool
}, err error) {
	var countries []struct {
		Alpha2 string   `json:"alpha2"`
		Alpha3 string   `json:"alpha3"`
		Names  []string `json:"names"`
	}
	var currencies []struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(countriesJSON, &countries); err != nil {
		return t, fmt.Errorf("countries table: %w", err)
	}
	if err := json.Unmarshal(currenciesJSON, &currencies); err != nil {
		return t, fmt.Errorf("currencies table: %w", err)
	}
	t.countries = make(map[string]string, len(countries)*5)
	for _, c := range countries {
		for _, k := range append([]string{c.Alpha2, c.Alpha3}, c.Names...) {
			key := countryKey(k)
			if prev, dup := t.countries[key]; dup && prev != c.Alpha2 {
				return t, fmt.Errorf("countries table: %q names both %s and %s", k, prev, c.Alpha2)
			}
			t.countries[key] = c.Alpha2
		}
	}
	t.currencies = make(map[string]bool, len(currencies))
	for _, c := range currencies {
		t.currencies[c.Code] = true
	}
	return t, nil
})

// countryKey is the lookup key of a country code or name (docs/templates.md,
// "country"): accents removed, folded, punctuation collapsed.
func countryKey(s string) string {
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r >= 0x300 && r <= 0x36F, r == '.', r == '\'', r == 0x2018, r == 0x2019:
			continue
		case template.IsSpace(r), r < 0x80 && isASCIIPunct(byte(r)), r == 0x2013, r == 0x2014:
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

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

type countryCheck struct{ names map[string]string }

var failInvalidCountry = fail(CodeInvalidCountry)

// maxCountryBytes is far above the longest name in the table; anything
// longer is refused before the (allocating) Unicode normalisation.
const maxCountryBytes = 256

func (c countryCheck) check(v string, ar *arena) (string, *failure) {
	if len(v) > maxCountryBytes {
		return "", failInvalidCountry
	}
	// Fast path for codes (two or three ASCII letters): their key is just
	// the lower-cased letters, looked up without allocating.
	if len(v) <= 3 {
		var buf [3]byte
		ok := true
		for i := 0; i < len(v); i++ {
			ch := v[i]
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			ok = ok && 'a' <= ch && ch <= 'z'
			buf[i] = ch
		}
		if ok {
			if code, found := c.names[string(buf[:len(v)])]; found {
				return code, nil
			}
		}
	}
	if code, ok := c.names[countryKey(v)]; ok {
		return code, nil
	}
	return "", failInvalidCountry
}

type currencyCheck struct{ codes map[string]bool }

var failInvalidCurrency = fail(CodeInvalidCurrency)

func (c currencyCheck) check(v string, ar *arena) (string, *failure) {
	if len(v) != 3 || !isLetter(v[0]) || !isLetter(v[1]) || !isLetter(v[2]) {
		return "", failInvalidCurrency
	}
	u := [3]byte{upper(v[0]), upper(v[1]), upper(v[2])}
	if !c.codes[string(u[:])] {
		return "", failInvalidCurrency
	}
	if string(u[:]) == v {
		return v, nil
	}
	return ar.string(u[:]), nil
}

// enumCheck serves enum and multi_enum: values are matched before labels.
type enumCheck struct {
	values     map[string]string // key of value → value
	labels     map[string]string // key of label → value
	fold       bool
	allowOther bool
	delimiter  string // multi_enum only
}

var failInvalidOption = fail(CodeInvalidOption)

func newEnumCheck(c *template.Column) *enumCheck {
	e := &enumCheck{values: map[string]string{}, labels: map[string]string{}, fold: !c.CaseSensitive, allowOther: c.AllowOther}
	if c.Type == template.MultiEnum {
		e.delimiter = c.Delimiter
	}
	for _, o := range c.Options {
		e.values[e.key(o.Value)] = o.Value
		e.labels[e.key(o.Label)] = o.Value
	}
	return e
}

func (e *enumCheck) key(s string) string {
	if e.fold {
		return template.Fold(s)
	}
	return s
}

func (e *enumCheck) one(v string) (string, bool) {
	k := e.key(v)
	if out, ok := e.values[k]; ok {
		return out, true
	}
	if out, ok := e.labels[k]; ok {
		return out, true
	}
	return v, e.allowOther
}

func (e *enumCheck) check(v string, ar *arena) (string, *failure) {
	if e.delimiter == "" {
		out, ok := e.one(v)
		if !ok {
			return "", failInvalidOption
		}
		return out, nil
	}
	var items []string
	for _, part := range strings.Split(v, e.delimiter) {
		part = template.Trim(part)
		if part == "" {
			continue
		}
		out, ok := e.one(part)
		if !ok {
			return "", failInvalidOption
		}
		if !slices.Contains(items, out) {
			items = append(items, out)
		}
	}
	if len(items) == 0 {
		return "", nil
	}
	return strings.Join(items, e.delimiter), nil
}
