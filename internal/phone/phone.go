// Package phone validates phone numbers and writes them in E.164, with
// exactly the answers of github.com/nyaruka/phonenumbers (Parse with a
// default region, IsValidNumber, Format E164) but about a hundred times
// faster on the shapes a spreadsheet column holds.
//
// The library builds and matches regular expressions for every number
// (~19 µs a cell: 19 s of CPU for a million-row phone column). For a cell
// made only of ASCII digits and the separators " -().\/" with at most a
// leading "+", its answer depends on nothing but the digits, the "+" and the
// default region, so this package replays the library's parse and validity
// steps on automata generated from the library's own metadata (table.json,
// written by ./gen; the rule is docs/phone.md). Everything else — letters,
// extensions, other characters, national prefixes with a transform rule,
// prefixes the automata cannot decide — goes to the library itself. Tests
// compare both paths on millions of numbers and fuzz them with the library
// as the oracle.
//
// It never logs or returns a cell value in an error.
package phone

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"

	"github.com/intakehq/intake/internal/phone/phonetable"
)

// A Parser checks numbers for one default region. It is safe for
// concurrent use.
type Parser struct {
	t      *table
	region string  // the library's default region, "ZZ" for none
	def    *region // nil for none
}

// NewParser returns the parser for a default region: an ISO 3166 code the
// library supports, or "" or "ZZ" for none (then only numbers written with
// "+" can be valid).
func NewParser(defaultRegion string) (*Parser, error) {
	t, err := loadTable()
	if err != nil {
		return nil, err
	}
	p := &Parser{t: t, region: "ZZ"}
	if defaultRegion != "" && defaultRegion != "ZZ" {
		r, ok := t.byID[defaultRegion]
		if !ok {
			return nil, fmt.Errorf("phone: region %q is not supported", defaultRegion)
		}
		p.region, p.def = defaultRegion, r
	}
	return p, nil
}

// E164 returns v in E.164 and true when the library deems it a valid
// number, or "" and false. When v is already written so, it returns v
// itself, without allocating.
func (p *Parser) E164(v string) (string, bool) {
	var buf [1 + 3 + maxNSN]byte
	b, ok := p.AppendE164(buf[:0], v)
	switch {
	case !ok:
		return "", false
	case string(b) == v:
		return v, true
	}
	return string(b), true
}

// AppendE164 appends v in E.164 to dst and returns it with true when the
// library deems v a valid number, or dst and false: E164 for a caller that
// keeps the bytes where it chooses.
func (p *Parser) AppendE164(dst []byte, v string) ([]byte, bool) {
	if out, ok, decided := p.fast(dst, v); decided {
		return out, ok
	}
	out, ok := p.Library(v)
	return append(dst, out...), ok
}

// Library is E164 computed by the library alone: the slow path, and the
// oracle the tests compare the fast path with.
func (p *Parser) Library(v string) (out string, ok bool) {
	// The library is not written for hostile input; a panic in it must
	// still end as "invalid", never a crash.
	defer func() {
		if recover() != nil {
			out, ok = "", false
		}
	}()
	n, err := phonenumbers.Parse(v, p.region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

const (
	maxInput  = 250 // MAX_INPUT_STRING_LENGTH
	minNSN    = 2   // MIN_LENGTH_FOR_NSN
	maxNSN    = 17  // MAX_LENGTH_FOR_NSN
	maxDigits = 64  // more digits than this go to the library
)

// fast decides what it can from the table, appending the E.164 form of a
// valid number to dst; decided is false when the library must answer. Each
// step names the library function it replays.
func (p *Parser) fast(dst []byte, v string) (out []byte, ok, decided bool) {
	if len(v) > maxInput {
		return dst, false, true // parseHelper: ErrNumTooLong
	}
	// extractPossibleNumber starts at the first "+" or digit and keeps the
	// rest (its trailing-character pattern never matches these shapes);
	// normalize keeps the digits.
	var buf [maxDigits]byte
	n, plus, started := 0, false, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if n == maxDigits {
				return dst, false, false
			}
			buf[n] = c
			n++
			started = true
		case '+':
			if started {
				return dst, false, false
			}
			plus, started = true, true
		case ' ', '-', '(', ')', '.', '/':
		default:
			return dst, false, false
		}
	}
	switch {
	case n < 2:
		return dst, false, true // isViablePhoneNumber: ErrNotANumber
	case n == 2:
		return dst, false, false // isViablePhoneNumber's two-digit case
	}
	digits := buf[:n]
	t := p.t
	var cc int
	var nat []byte
	var meta *region
	switch {
	case plus:
		// maybeStripInternationalPrefixAndNormalize: "+" then the
		// calling code (extractCountryCode).
		var ok bool
		if cc, nat, ok = t.callingCode(digits); !ok {
			if p.def != nil {
				// parseHelper retries without the "+", with the default
				// region's IDD and calling code.
				return dst, false, false
			}
			return dst, false, true // ErrInvalidCountryCode
		}
		meta = t.byCC[cc][0]
	case p.def == nil:
		return dst, false, true // checkRegionForParsing: no "+" and no region
	default:
		d := p.def
		m := t.prefix(d.idd, digits)
		if m >= 0 && !d.iddExact {
			return dst, false, false
		}
		if m >= 0 && (m == len(digits) || digits[m] != '0') {
			// parsePrefixAsIdd: an IDD then a calling code.
			rest := digits[m:]
			if len(rest) <= minNSN {
				return dst, false, true // ErrTooShortAfterIDD
			}
			var ok bool
			if cc, nat, ok = t.callingCode(rest); !ok {
				return dst, false, true // ErrInvalidCountryCode
			}
			meta = t.byCC[cc][0]
			break
		}
		// maybeExtractCountryCode: the default region's own calling code
		// written without "+".
		cc, nat, meta = d.cc, digits, d
		if len(digits) >= len(d.ccDigits) && string(digits[:len(d.ccDigits)]) == d.ccDigits {
			pot, ok := t.stripNational(d, digits[len(d.ccDigits):])
			if !ok {
				return dst, false, false
			}
			if (!t.general(d, digits) && t.general(d, pot)) || d.testLength(len(digits)) == tooLong {
				nat, meta = pot, t.byCC[cc][0]
			}
		}
	}
	if len(nat) < minNSN {
		return dst, false, true // ErrTooShortNSN
	}
	// parseHelper: strip a national prefix when what remains has a
	// possible length.
	pot, ok := t.stripNational(meta, nat)
	if !ok {
		return dst, false, false
	}
	if r := meta.testLength(len(pot)); r == isPossible || r == tooLong {
		nat = pot
	}
	if len(nat) < minNSN || len(nat) > maxNSN {
		return dst, false, true // ErrTooShortNSN, ErrNumTooLong
	}
	if !t.valid(cc, nat) {
		return dst, false, true
	}
	return appendE164(dst, cc, nat), true, true
}

// callingCode is extractCountryCode: the first one to three digits that
// are a calling code, and the digits after them.
func (t *table) callingCode(digits []byte) (int, []byte, bool) {
	if digits[0] == '0' {
		return 0, nil, false
	}
	cc := 0
	for i := 0; i < 3 && i < len(digits); i++ {
		cc = cc*10 + int(digits[i]-'0')
		if t.byCC[cc] != nil {
			return cc, digits[i+1:], true
		}
	}
	return 0, nil, false
}

// stripNational is maybeStripNationalPrefixAndCarrierCode: the number
// without its national prefix, or unchanged; ok is false when the table
// cannot tell.
func (t *table) stripNational(r *region, digits []byte) ([]byte, bool) {
	if len(digits) == 0 || r.national == 0 {
		return digits, true
	}
	m := t.prefix(r.national, digits)
	switch {
	case m < 0:
		return digits, true
	case !r.nationalExact:
		return nil, false
	case t.general(r, digits) && !t.general(r, digits[m:]):
		return digits, true // the prefix was part of a viable number
	}
	return digits[m:], true
}

// valid is IsValidNumber: the region of the number (getRegionCodeForNumber)
// and whether some type of it matches (getNumberTypeHelper).
func (t *table) valid(cc int, nat []byte) bool {
	regions := t.byCC[cc]
	bit := uint32(1) << len(nat)
	if len(regions) == 1 {
		return t.info[t.walk(regions[0].valid, nat)]&bit != 0
	}
	for _, r := range regions {
		info := t.info[t.walk(r.valid, nat)]
		if r.leading {
			if info&phonetable.InfoLeading != 0 {
				return info&bit != 0
			}
		} else if info&bit != 0 {
			return true
		}
	}
	return false
}

// appendE164 appends "+", the calling code and the national number.
func appendE164(b []byte, cc int, nat []byte) []byte {
	b = append(b, '+')
	switch {
	case cc >= 100:
		b = append(b, byte('0'+cc/100), byte('0'+cc/10%10), byte('0'+cc%10))
	case cc >= 10:
		b = append(b, byte('0'+cc/10), byte('0'+cc%10))
	default:
		b = append(b, byte('0'+cc))
	}
	return append(b, nat...)
}
