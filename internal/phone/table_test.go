package phone

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/phone/phonetable"
)

// TestTableIsGenerated fails when table.json is not what the generator
// writes from the linked library's metadata: after a phonenumbers upgrade in
// go.mod, run `go generate ./internal/phone`.
func TestTableIsGenerated(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == phonetable.Module {
			version = f[1]
		}
	}
	if version == "" {
		t.Fatalf("go.mod does not require %s", phonetable.Module)
	}
	want, err := phonetable.Build(version)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tableJSON, want) {
		t.Fatal("internal/phone/table.json is stale: run go generate ./internal/phone")
	}
}

// TestParser covers the cases the table's structure singles out, each
// against the library.
func TestParser(t *testing.T) {
	for _, tc := range []struct {
		region, in, want string
		decided          bool
	}{
		{"", "+1 773-255-9915", "+17732559915", true},
		{"", "+17732559915", "+17732559915", true},
		{"", "+44 (0)20 7946 0958", "+442079460958", true}, // national prefix after the calling code
		{"", "020 7946 0958", "", true},                    // no "+" and no region
		{"GB", "020 7946 0958", "+442079460958", true},
		{"FR", "0044 20 7946 0958", "+442079460958", true}, // IDD
		{"US", "011 44 20 7946 0958", "+442079460958", true},
		{"US", "1 415 555 2671", "+14155552671", true}, // the region's calling code without "+"
		{"", "+1 415 555 2671 ext. 12", "+14155552671", false},
		{"US", "1-800-FLOWERS", "+18003569377", false},
		{"", "+81 3-1234-5678", "+81312345678", true}, // JP: transform rule, no prefix here
		{"JP", "03-1234-5678", "+81312345678", false}, // JP: national prefix with a transform rule
		{"", "+0044 20 7946 0958", "", true},
		{"FR", "+0044 20 7946 0958", "+442079460958", false},
		{"", "+", "", true},
		{"US", "12", "", false},
		{"", "+999 123 456", "", true},
	} {
		p, err := NewParser(tc.region)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.E164(tc.in)
		lib, libOK := p.Library(tc.in)
		_, _, decided := p.fast(nil, tc.in)
		if got != tc.want || ok != (tc.want != "") || got != lib || ok != libOK || decided != tc.decided {
			t.Errorf("region %q, %q: %q %v (decided %v), library %q; want %q (decided %v)", tc.region, tc.in, got, ok, decided, lib, tc.want, tc.decided)
		}
	}
	if _, err := NewParser("XX"); err == nil {
		t.Error("region XX accepted")
	}
}

// TestEmptyPrefixGoesToLibrary: Argentina's national prefix for parsing
// matches the empty string (and has a transform rule), so the library
// always "matches" it; the fast path must not read that as no match.
func TestEmptyPrefixGoesToLibrary(t *testing.T) {
	tab, err := loadTable()
	if err != nil {
		t.Fatal(err)
	}
	ar := tab.byID["AR"]
	if ar.nationalExact || tab.prefix(ar.national, []byte("91112345678")) != 0 {
		t.Fatalf("AR national prefix: exact %v, match %d; want inexact, empty match", ar.nationalExact, tab.prefix(ar.national, []byte("91112345678")))
	}
	p, err := NewParser("")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, decided := p.fast(nil, "+54 9 11 1234 5678"); decided {
		t.Error("+54 9 11 1234 5678 decided by the table")
	}
}
