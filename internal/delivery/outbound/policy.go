// Package outbound guards every connection Intake opens to a destination
// (webhook receiver, S3 endpoint, PostgreSQL server) against server-side
// request forgery. It decides on IP addresses, not names: the check runs at
// connect time on the address the resolver returned, so a name that resolves
// to a public address when the destination is saved and to 127.0.0.1 when the
// delivery runs (DNS rebinding) is still refused.
//
// The package must never let a connection reach a loopback, private,
// link-local, shared (CGNAT), multicast, reserved or cloud-metadata address
// unless the operator listed its range in the allow-list.
package outbound

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrForbidden is wrapped by every refusal, so callers can tell a guarded
// address (a configuration problem) from a network failure.
var ErrForbidden = errors.New("outbound address forbidden")

// Policy decides which addresses outbound connections may reach. The zero
// value refuses every special-purpose range; an allow-list opens chosen ones
// (for example a receiver on the operator's private network).
type Policy struct {
	allow []netip.Prefix
}

// NewPolicy returns a policy that lets the listed ranges through even when
// they are special-purpose. An empty list is the safe default.
func NewPolicy(allow []netip.Prefix) *Policy {
	return &Policy{allow: append([]netip.Prefix(nil), allow...)}
}

// ParseAllowList reads the operator's allow-list (`--outbound-allow`,
// `INTAKE_OUTBOUND_ALLOW`): CIDRs or single addresses separated by commas or
// spaces. It is strict so that a typo fails at start rather than silently
// opening nothing, or too much.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("outbound allow-list entry %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("outbound allow-list entry %q: %w", f, err)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("outbound allow-list entry %q: host bits set (did you mean %s?)", f, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

// rangeRule names one special-purpose range and why it is refused.
type rangeRule struct {
	prefix netip.Prefix
	reason string
}

func rules(spec ...string) []rangeRule {
	out := make([]rangeRule, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, rangeRule{netip.MustParsePrefix(spec[i]), spec[i+1]})
	}
	return out
}

// metadata lists cloud instance-metadata endpoints. They fall inside refused
// ranges anyway; naming them gives the operator a precise reason.
var metadata = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "cloud metadata",
	netip.MustParseAddr("169.254.170.2"):   "cloud metadata",
	netip.MustParseAddr("fd00:ec2::254"):   "cloud metadata",
	netip.MustParseAddr("100.100.100.200"): "cloud metadata",
}

var v4Rules = rules(
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "shared address space (CGNAT)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved", // includes 255.255.255.255, broadcast
)

var v6Rules = rules(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "IPv4-compatible",
	"100::/64", "discard-only",
	"64:ff9b:1::/48", "local-use NAT64",
	"2001:db8::/32", "documentation",
	"2001:10::/28", "ORCHID",
	"2001:20::/28", "ORCHIDv2",
	"fc00::/7", "unique local (private)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
	teredo = netip.MustParsePrefix("2001::/32")
	mapped = netip.MustParsePrefix("::ffff:0:0/96")
)

// Check returns nil when addr may be dialled, or an error wrapping
// ErrForbidden that names the address and the range it falls in.
func (p *Policy) Check(addr netip.Addr) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrForbidden)
	}
	if addr.Zone() != "" {
		return fmt.Errorf("%w: %s (scoped address)", ErrForbidden, addr)
	}
	if p.allowed(addr) {
		return nil
	}
	if reason := classify(addr); reason != "" {
		return fmt.Errorf("%w: %s (%s)", ErrForbidden, addr, reason)
	}
	return nil
}

// allowed reports whether the operator's list covers addr, or the IPv4
// address of an IPv4-mapped addr (the same destination: the kernel dials
// it as IPv4). It does not follow 6to4, Teredo or NAT64: those reach the
// embedded IPv4 address through a relay or gateway, and an operator who
// opened 10.0.0.0/8 for a receiver on the private network did not open
// 2002:a00::/24 to whatever relays it. Such an address passes only if its
// own IPv6 range is listed.
func (p *Policy) allowed(addr netip.Addr) bool {
	if p == nil || len(p.allow) == 0 {
		return false
	}
	cands := []netip.Addr{addr}
	if addr.Is4In6() {
		cands = append(cands, addr.Unmap())
	}
	for _, a := range cands {
		for _, pr := range p.allow {
			if pr.Contains(a) {
				return true
			}
		}
	}
	return false
}

// classify returns why addr is special-purpose, or "" for an ordinary
// globally routable address.
func classify(addr netip.Addr) string {
	if r, ok := metadata[addr]; ok {
		return r
	}
	if addr.Is4In6() {
		if r := classify(addr.Unmap()); r != "" {
			return "IPv4-mapped " + r
		}
		return ""
	}
	if addr.Is4() {
		for _, r := range v4Rules {
			if r.prefix.Contains(addr) {
				return r.reason
			}
		}
		return ""
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	// Translation and tunnelling prefixes carry an IPv4 address that the
	// packet ends up at; refuse them when that address is refused.
	for _, v4 := range embedded(addr) {
		if r := classify(v4); r != "" {
			return "embedded IPv4 " + r
		}
	}
	return ""
}

// embedded returns the IPv4 addresses that an IPv6 address stands for:
// IPv4-mapped, NAT64 (RFC 6052 well-known prefix), 6to4, and Teredo (server
// and obfuscated client).
func embedded(addr netip.Addr) []netip.Addr {
	if !addr.Is6() {
		return nil
	}
	b := addr.As16()
	switch {
	case mapped.Contains(addr), nat64.Contains(addr):
		return []netip.Addr{netip.AddrFrom4([4]byte(b[12:16]))}
	case sixTo4.Contains(addr):
		return []netip.Addr{netip.AddrFrom4([4]byte(b[2:6]))}
	case teredo.Contains(addr):
		server := netip.AddrFrom4([4]byte(b[4:8]))
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		return []netip.Addr{server, client}
	}
	return nil
}
