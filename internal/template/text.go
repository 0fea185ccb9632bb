package template

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The text rules every engine shares: which characters trimming removes and
// how case is folded. They are spelled out here, not borrowed from Go's
// unicode.IsSpace or strings.ToLower, because JavaScript must reproduce them
// exactly (docs/templates.md, "How a cell is processed").

// IsSpace reports whether r is in the trim set: U+0009–U+000D, U+0020,
// U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000,
// U+FEFF — what String.prototype.trim removes.
func IsSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20:
		return true
	case r < 0xA0:
		return false
	case r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029,
		r == 0x202F, r == 0x205F, r == 0x3000, r == 0xFEFF:
		return true
	}
	return false
}

// Trim removes leading and trailing trim-set characters. It returns a
// substring of s, so trimming never allocates.
func Trim(s string) string {
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < 0x09 || c > 0x0D) {
				break
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRuneInString(s)
		if !IsSpace(r) {
			break
		}
		s = s[size:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < 0x09 || c > 0x0D) {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s)
		if !IsSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// Fold case-folds s: each code point through the Unicode simple lowercase
// mapping, on its own (no final-sigma context, U+0130 → "i"). It returns s
// itself when nothing changes, so folding lower-case text never allocates.
func Fold(s string) string {
	for i := 0; ; {
		if i += foldable(s[i:]); i == len(s) {
			return s
		}
		if s[i] < utf8.RuneSelf { // A–Z
			return s[:i] + foldSlow(s[i:])
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.ToLower(r) != r {
			return s[:i] + foldSlow(s[i:])
		}
		i += size
	}
}

// foldable returns the index of the first byte of s that is A–Z or not
// ASCII, or len(s): eight bytes at a time, as the words of a column mostly
// have neither.
func foldable(s string) int {
	const high, belowA, belowZ = 0x8080808080808080, 0x3f3f3f3f3f3f3f3f, 0x2525252525252525
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		// With no high bit set, a byte plus 0x3f reaches 0x80 from 'A' on
		// and a byte plus 0x25 from 'Z'+1 on, with no carry between bytes.
		if x&high != 0 || (x+belowA)&^(x+belowZ)&high != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return i
		}
	}
	return len(s)
}

func foldSlow(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// FoldASCII lower-cases A–Z only, for the ASCII-case-insensitive rules
// (boolean words, month names, codes). It returns s itself when nothing
// changes.
func FoldASCII(s string) string {
	for i := 0; ; i++ {
		if i += foldable(s[i:]); i == len(s) {
			return s
		}
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
}
