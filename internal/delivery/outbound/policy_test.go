package outbound

import (
	"errors"
	"net/netip"
	"testing"
)

func TestCheckRefusesSpecialPurposeAddresses(t *testing.T) {
	t.Parallel()
	forbidden := []string{
		"127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "100.64.0.1", "100.127.255.255", "169.254.0.1", "169.254.169.254", "169.254.170.2",
		"100.100.100.200", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.7",
		"198.18.0.1", "192.0.0.170",
		"::", "::1", "fc00::1", "fd12:3456::1", "fd00:ec2::254", "fe80::1", "ff02::1", "fec0::1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
		"2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:101::",
		"2001:0:7f00:1::1",                     // Teredo server 127.0.0.1
		"2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo client ^0x80fffffe = 127.0.0.1
	}
	for _, s := range forbidden {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if err := NewPolicy(nil).Check(netip.MustParseAddr(s)); !errors.Is(err, ErrForbidden) {
				t.Fatalf("Check(%s) = %v, want ErrForbidden", s, err)
			}
		})
	}
}

func TestCheckAllowsPublicAddresses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.32.0.1", "11.0.0.1",
		"2606:4700:4700::1111", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
	} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if err := NewPolicy(nil).Check(netip.MustParseAddr(s)); err != nil {
				t.Fatalf("Check(%s) = %v, want nil", s, err)
			}
		})
	}
}

func TestAllowListOpensOnlyListedRanges(t *testing.T) {
	t.Parallel()
	allow, err := ParseAllowList("127.0.0.0/8, 10.1.0.0/16 fd00::1")
	if err != nil {
		t.Fatal(err)
	}
	p := NewPolicy(allow)
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"10.1.2.3", true},
		{"10.2.0.1", false},
		{"fd00::1", true},
		{"fd00::2", false},
		{"169.254.169.254", false},
		{"::1", false},
		// An allowed IPv4 range does not open the IPv6 addresses that
		// reach it through a relay or gateway: 10.1.2.3 in 6to4, as a
		// Teredo server, as an obfuscated Teredo client, and in NAT64.
		{"2002:a01:203::1", false},
		{"2001:0:a01:203::1", false},
		{"2001:0:4136:e378:8000:63bf:f5fe:fdfc", false},
		{"64:ff9b::a01:203", false},
		{"2002:7f00:1::", false}, // 6to4 of 127.0.0.1, allowed above as IPv4
	}
	for _, tt := range tests {
		err := p.Check(netip.MustParseAddr(tt.addr))
		if (err == nil) != tt.ok {
			t.Errorf("Check(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
	// Listed as an IPv6 range of its own, a 6to4 range is open.
	six, err := ParseAllowList("2002:a01:203::/48")
	if err != nil {
		t.Fatal(err)
	}
	if err := NewPolicy(six).Check(netip.MustParseAddr("2002:a01:203::1")); err != nil {
		t.Errorf("a listed 6to4 range: %v", err)
	}
	if err := NewPolicy(six).Check(netip.MustParseAddr("10.1.2.3")); err == nil {
		t.Error("a listed 6to4 range opened its IPv4 address")
	}
}

func TestParseAllowListRejectsTypos(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"10.0.0.0/33", "10.0.0.1/8", "localhost", "10.0.0"} {
		if _, err := ParseAllowList(s); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", s)
		}
	}
	if got, err := ParseAllowList(""); err != nil || len(got) != 0 {
		t.Errorf("empty allow-list = %v, %v", got, err)
	}
}

func TestHostAddrSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want string // "" = a DNS name; "err" = malformed IP spelling
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"0xA9.0xFE.0xA9.0xFE", "169.254.169.254"},
		{"2852039166", "169.254.169.254"},
		{"012.0.0.1", "10.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"[::1]", "::1"},
		{"[::ffff:127.0.0.1]", "::ffff:127.0.0.1"},
		{"[0:0:0:0:0:ffff:7f00:1]", "::ffff:127.0.0.1"},
		{"example.com", ""},
		{"127.0.0.1.nip.io", ""},
		{"0x7f.example", ""},
		{"256.0.0.1", "err"},
		{"4294967296", "err"},
		{"1.2.3.4.5", "err"},
		{"09.0.0.1", "err"},
		{"1.2.3.0x", "1.2.3.0"},
		{"[::1", "err"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			t.Parallel()
			a, ok, err := HostAddr(tt.host)
			switch {
			case tt.want == "err":
				if err == nil {
					t.Fatalf("HostAddr(%q) = %v, %v; want error", tt.host, a, ok)
				}
			case tt.want == "":
				if err != nil || ok {
					t.Fatalf("HostAddr(%q) = %v, %v, %v; want a DNS name", tt.host, a, ok, err)
				}
			default:
				if err != nil || !ok || a != netip.MustParseAddr(tt.want) {
					t.Fatalf("HostAddr(%q) = %v, %v, %v; want %s", tt.host, a, ok, err, tt.want)
				}
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	p := NewPolicy(nil)
	tests := []struct {
		url     string
		wantErr error
	}{
		{"https://hooks.example.com/intake", nil},
		{"http://hooks.example.com:8080/x?y=1", nil},
		{"ftp://hooks.example.com/", ErrBadURL},
		{"file:///etc/passwd", ErrBadURL},
		{"https://user:pw@hooks.example.com/", ErrBadURL},
		{"https:///nohost", ErrBadURL},
		{"://", ErrBadURL},
		{"http://127.0.0.1/", ErrForbidden},
		{"http://2130706433/", ErrForbidden},
		{"http://0177.0.0.1/", ErrForbidden},
		{"http://0x7f.1/", ErrForbidden},
		{"http://127.1:9000/", ErrForbidden},
		{"http://[::1]:80/", ErrForbidden},
		{"http://[::ffff:127.0.0.1]/", ErrForbidden},
		{"http://[::ffff:7f00:1]/", ErrForbidden},
		{"http://[64:ff9b::a9fe:a9fe]/", ErrForbidden},
		{"http://169.254.169.254/latest/meta-data/", ErrForbidden},
		{"http://[fd00:ec2::254]/", ErrForbidden},
		{"http://100.100.100.200/", ErrForbidden},
		{"http://localhost:8080/", ErrForbidden},
		{"http://api.LOCALHOST./", ErrForbidden},
		{"http://[fe80::1%25eth0]/", ErrForbidden},
		{"http://999.1.1.1/", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := p.ParseURL(tt.url)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseURL(%q) = %v, want %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

// FuzzHostAddr checks the spelling parser never panics, agrees with
// netip on canonical addresses, and that the guard refuses every spelling
// of a loopback address it recognises.
func FuzzHostAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::1]", "example.com", "1.2.3.4.5", "0x", "00", "[::ffff:127.0.0.1]", "1.0x", "."} {
		f.Add(s)
	}
	p := NewPolicy(nil)
	f.Fuzz(func(t *testing.T, host string) {
		a, ok, err := HostAddr(host)
		if err != nil {
			if ok {
				t.Fatal("ok with an error")
			}
			return
		}
		if canon, perr := netip.ParseAddr(host); perr == nil && canon.Zone() == "" && (!ok || a != canon) {
			t.Fatalf("HostAddr(%q) = %v, %v; netip says %v", host, a, ok, canon)
		}
		if ok && a.Unmap().IsLoopback() && p.CheckHost(host) == nil {
			t.Fatalf("loopback spelling %q passed the guard", host)
		}
	})
}
