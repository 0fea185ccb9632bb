package validate

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
)

type textCheck struct {
	min, max int // -1 when unset
	fShort   *failure
	fLong    *failure
}

func newTextCheck(c *template.Column) *textCheck {
	t := &textCheck{min: -1, max: -1}
	if c.MinLength != nil {
		t.min = *c.MinLength
		t.fShort = fail(CodeTooShort, "min", strconv.Itoa(t.min))
	}
	if c.MaxLength != nil {
		t.max = *c.MaxLength
		t.fLong = fail(CodeTooLong, "max", strconv.Itoa(t.max))
	}
	return t
}

func (t *textCheck) check(v string, ar *arena) (string, *failure) {
	// A code point is one to four bytes: the byte length alone often
	// settles both bounds without counting.
	if (t.min < 0 || (len(v)+3)/4 >= t.min) && (t.max < 0 || len(v) <= t.max) {
		return v, nil
	}
	n := utf8.RuneCountInString(v)
	if t.min >= 0 && n < t.min {
		return "", t.fShort
	}
	if t.max >= 0 && n > t.max {
		return "", t.fLong
	}
	return v, nil
}

type boolCheck struct{ yes, no string }

var failNotABoolean = fail(CodeNotABoolean)

func (b *boolCheck) check(v string, ar *arena) (string, *failure) {
	if len(v) > 5 {
		return "", failNotABoolean
	}
	var buf [5]byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(v)]) {
	case "true", "yes", "y", "1", "on":
		return b.yes, nil
	case "false", "no", "n", "0", "off":
		return b.no, nil
	}
	return "", failNotABoolean
}

type emailCheck struct{}

var failInvalidEmail = fail(CodeInvalidEmail)

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Byte classes of the email grammar as lookup tables: one load per byte on
// the hot path.
var (
	emailLocalByte = byteSet(alnum + "!#$%&'*+/=?^_`{|}~.-")
	domainByte     = byteSet(alnum + "-")
)

func byteSet(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

func (emailCheck) check(v string, ar *arena) (string, *failure) {
	at := strings.IndexByte(v, '@')
	if len(v) > 254 || at < 1 || at > 64 {
		return "", failInvalidEmail
	}
	local, domain := v[:at], v[at+1:]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !emailLocalByte[c] || (c == '.' && (i == 0 || i == len(local)-1 || local[i-1] == '.')) {
			return "", failInvalidEmail
		}
	}
	if !validDomain(domain) {
		return "", failInvalidEmail
	}
	if d := template.FoldASCII(domain); d != domain {
		var buf [254]byte
		return ar.string(append(append(buf[:0], v[:at+1]...), d...)), nil
	}
	return v, nil
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// upper upper-cases an ASCII letter.
func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// validDomain checks an ASCII domain name of at least two labels, each 1–63
// of a-z A-Z 0-9 - not starting or ending with "-", whose last label is 2–63
// letters or an xn-- label.
func validDomain(d string) bool {
	labels, start := 0, 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			if !domainByte[d[i]] {
				return false
			}
			continue
		}
		if n := i - start; n == 0 || n > 63 || d[start] == '-' || d[i-1] == '-' {
			return false
		}
		labels++
		if i < len(d) {
			start = i + 1
		}
	}
	last := d[start:]
	if labels < 2 || len(last) < 2 {
		return false
	}
	if hasPrefixFold(last, "xn--") {
		return true
	}
	for i := 0; i < len(last); i++ {
		if !isLetter(last[i]) {
			return false
		}
	}
	return true
}

type urlCheck struct{}

var failInvalidURL = fail(CodeInvalidURL)

const urlForbidden = "\"<>\\^`{|}"

func (urlCheck) check(v string, ar *arena) (string, *failure) {
	if len(v) > 2048 {
		return "", failInvalidURL
	}
	// The scheme is the leading run of ASCII letters when "://" follows it;
	// otherwise there is none and https is assumed.
	letters := 0
	for letters < len(v) && isLetter(v[letters]) {
		letters++
	}
	scheme, rest := "https", v
	if letters > 0 && strings.HasPrefix(v[letters:], "://") {
		scheme, rest = template.FoldASCII(v[:letters]), v[letters+3:]
	}
	if scheme != "http" && scheme != "https" {
		return "", failInvalidURL
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	for _, r := range tail {
		if r <= 0x20 || r == 0x7F || (r < utf8.RuneSelf && strings.ContainsRune(urlForbidden, r)) {
			return "", failInvalidURL
		}
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return "", failInvalidURL
		}
		host, port = authority[:end+1], authority[end+1:]
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", failInvalidURL
		}
	} else {
		if c := strings.LastIndexByte(authority, ':'); c >= 0 {
			host, port = authority[:c], authority[c:]
		}
		if !validDomain(host) {
			if a, err := netip.ParseAddr(host); err != nil || !a.Is4() {
				return "", failInvalidURL
			}
		}
	}
	if port != "" {
		p := port[1:]
		if port[0] != ':' || p == "" || len(p) > 5 || !allDigits(p) {
			return "", failInvalidURL
		}
		if n, _ := strconv.Atoi(p); n < 1 || n > 65535 {
			return "", failInvalidURL
		}
	}
	out := scheme + "://" + template.FoldASCII(host) + port + tail
	if out == v {
		return v, nil
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
