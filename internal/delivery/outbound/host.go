package outbound

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadURL is wrapped when a destination URL cannot be used at all
// (malformed, wrong scheme, credentials in it); retrying will not help.
var ErrBadURL = errors.New("unusable destination URL")

// HostAddr interprets host the way a resolver or browser would when it is an
// IP literal in any spelling: bracketed or bare IPv6, dotted quad, and the
// inet_aton forms that resolvers still accept — decimal (2130706433), octal
// (0177.0.0.1), hex (0x7f.1) and short (127.1). It follows the WHATWG URL
// rule: a host whose last label is a number is an IPv4 address, and one that
// fails to parse as such is an error rather than a name to look up. ok is
// false for an ordinary DNS name.
func HostAddr(host string) (addr netip.Addr, ok bool, err error) {
	h := strings.TrimSuffix(host, ".")
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("%w: malformed IPv6 host", ErrBadURL)
		}
		return a, true, nil
	}
	labels := strings.Split(h, ".")
	if !isNumberLabel(labels[len(labels)-1]) {
		return netip.Addr{}, false, nil
	}
	a, err := parseInetAton(labels)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("%w: host %q is a malformed IPv4 address", ErrBadURL, host)
	}
	return a, true, nil
}

// isNumberLabel reports whether a label reads as a number (decimal, or hex
// with 0x), which makes the whole host an IPv4 spelling.
func isNumberLabel(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
		for _, c := range s {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseInetAton implements the classic inet_aton grammar: up to four parts,
// each decimal, octal (leading 0) or hex (0x), the last part filling the
// remaining bytes.
func parseInetAton(labels []string) (netip.Addr, error) {
	if len(labels) > 4 {
		return netip.Addr{}, errors.New("too many parts")
	}
	var parts []uint64
	for _, l := range labels {
		base, digits := 10, l
		switch {
		case len(l) >= 2 && (l[:2] == "0x" || l[:2] == "0X"):
			base, digits = 16, l[2:]
			if digits == "" {
				digits = "0"
			}
		case len(l) > 1 && l[0] == '0':
			base, digits = 8, l[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, err
		}
		parts = append(parts, v)
	}
	last := parts[len(parts)-1]
	if last >= 1<<(8*(5-len(parts))) {
		return netip.Addr{}, errors.New("last part out of range")
	}
	v := last
	for i, p := range parts[:len(parts)-1] {
		if p > 255 {
			return netip.Addr{}, errors.New("part out of range")
		}
		v |= p << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), nil
}

// CheckHost refuses a host whose spelling already names a forbidden address
// or a loopback name. An ordinary DNS name passes: it is checked again, on
// the resolved address, when the connection is opened.
func (p *Policy) CheckHost(host string) error {
	addr, ok, err := HostAddr(host)
	if err != nil {
		return err
	}
	if ok {
		return p.Check(addr)
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if (name == "localhost" || strings.HasSuffix(name, ".localhost")) && !p.allowed(netip.MustParseAddr("127.0.0.1")) {
		return fmt.Errorf("%w: %s (loopback name)", ErrForbidden, host)
	}
	return nil
}

// ParseURL validates a destination URL as it is saved and again before each
// delivery: http or https only, a host, no credentials (use custom headers),
// and a host that is not a forbidden address in any spelling.
func (p *Policy) ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrBadURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme must be http or https", ErrBadURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host", ErrBadURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: credentials in the URL (send them as a custom header)", ErrBadURL)
	}
	if err := p.CheckHost(u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}
