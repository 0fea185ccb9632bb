package parse

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// A UTF8Check fed a text in two or three pieces, cut anywhere (inside a
// character too), tells what utf8.Valid tells of the whole, as
// validUTF8 does reading a file in blocks.
func TestUTF8Check(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"ascii", "name,email\nAda,ada@example.com\n"},
		{"two to four bytes", "é,€,𝄞,日本語\n"},
		{"replacement character", "a\uFFFDb"},
		{"windows-1252 é", "caf\xe9\n"},
		{"cut short at the end", "ab\xe2\x82"},
		{"lone continuation", "a\x80b"},
		{"overlong", "\xc0\xaf"},
		{"surrogate", "\xed\xa0\x80"},
		{"above U+10FFFF", "\xf4\x90\x80\x80"},
		{"start byte then ascii", "\xe2a\x82\xac"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := utf8.ValidString(tc.text)
			b := []byte(tc.text)
			for i := 0; i <= len(b); i++ {
				for j := i; j <= len(b); j++ {
					var c UTF8Check
					for _, piece := range [][]byte{b[:i], b[i:j], b[j:]} {
						if n, err := c.Write(piece); n != len(piece) || err != nil {
							t.Fatalf("Write: %d, %v", n, err)
						}
					}
					if got := c.Valid(); got != want {
						t.Fatalf("cut at %d and %d: Valid %v, want %v", i, j, got, want)
					}
				}
			}
			got, err := validUTF8(bytes.NewReader(b), int64(len(b)))
			if err != nil || got != want {
				t.Fatalf("validUTF8: %v, %v; want %v", got, err, want)
			}
		})
	}
}

// Options.ValidUTF8 skips the detection's reading of the whole file and
// finds what it would: UTF-8, a byte order mark's encoding before it.
func TestValidUTF8Option(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, want string }{
		{"no byte order mark", "name\né\n", "utf-8"},
		{"UTF-8 byte order mark", "\xef\xbb\xbfname\né\n", "utf-8"},
		{"UTF-16LE byte order mark", "\xff\xfen\x00\n\x00", "utf-16le"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, known := range []bool{false, true} {
				r := strings.NewReader(tc.file)
				p, err := Open(r, r.Size(), "f.csv", Options{ValidUTF8: known})
				if err != nil {
					t.Fatal(err)
				}
				if got := p.Settings().Encoding; got != tc.want {
					t.Errorf("ValidUTF8 %v: encoding %q, want %q", known, got, tc.want)
				}
				p.Close()
			}
		})
	}
}
