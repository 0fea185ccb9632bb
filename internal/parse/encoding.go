package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings are the labels of the widget's encoding picker (encoding.ts
// ENCODINGS), WHATWG encoding names.
var Encodings = []string{"utf-8", "utf-16le", "utf-16be", "windows-1252", "iso-8859-15", "shift_jis", "gb18030"}

// decoderOf returns the decoder of a picker label as the browser's
// TextDecoder decodes it (not fatal: invalid bytes become U+FFFD), and the
// byte order mark TextDecoder consumes at the start for that encoding.
func decoderOf(label string) (transform.Transformer, []byte, error) {
	switch label {
	case "utf-8":
		return unicode.UTF8.NewDecoder(), []byte{0xef, 0xbb, 0xbf}, nil
	case "utf-16le":
		return &utf16Decoder{little: true}, []byte{0xff, 0xfe}, nil
	case "utf-16be":
		return &utf16Decoder{}, []byte{0xfe, 0xff}, nil
	case "windows-1252":
		return singleByte(charmap.Windows1252, true), nil, nil
	case "iso-8859-15":
		return singleByte(charmap.ISO8859_15, false), nil, nil
	case "shift_jis":
		return japanese.ShiftJIS.NewDecoder(), nil, nil
	case "gb18030":
		return simplifiedchinese.GB18030.NewDecoder(), nil, nil
	}
	return nil, nil, fmt.Errorf("%w: encoding must be one of %s", ErrBadOption, strings.Join(Encodings, ", "))
}

// sniffBOM is the encoding a byte order mark names (encoding.ts sniffBOM).
func sniffBOM(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xef, 0xbb, 0xbf}):
		return "utf-8"
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return "utf-16le"
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "utf-16be"
	}
	return ""
}

// singleByte is a single-byte charmap as WHATWG defines it. x/text's
// Windows-1252 decodes the five bytes it leaves undefined (81 8D 8F 90 9D)
// as U+FFFD; WHATWG's, which the browser uses, as the C1 controls of the
// same number, so they are fixed here.
func singleByte(cm *charmap.Charmap, c1 bool) transform.Transformer {
	var t byteTable
	for b := range 256 {
		r := cm.DecodeByte(byte(b))
		if r == utf8.RuneError && c1 && b >= 0x80 && b < 0xa0 {
			r = rune(b)
		}
		t.n[b] = byte(utf8.EncodeRune(t.s[b][:], r))
	}
	return &t
}

// byteTable decodes one byte to the UTF-8 of one rune by table.
type byteTable struct {
	s [256][4]byte
	n [256]byte
	transform.NopResetter
}

func (t *byteTable) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		b := src[nSrc]
		if b < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = b
			nDst++
			nSrc++
			continue
		}
		n := int(t.n[b])
		if nDst+n > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		copy(dst[nDst:], t.s[b][:n])
		nDst += n
		nSrc++
	}
	return nDst, nSrc, nil
}

// utf16Decoder decodes UTF-16 as WHATWG's decoder does: every unpaired
// surrogate becomes one U+FFFD, and so does an odd last byte. x/text's
// decoder turns two unpaired surrogates in a row into a single U+FFFD,
// which would shift the text against the widget's.
type utf16Decoder struct {
	little bool
	transform.NopResetter
}

func (d *utf16Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	unit := func(i int) rune {
		if d.little {
			return rune(src[i]) | rune(src[i+1])<<8
		}
		return rune(src[i])<<8 | rune(src[i+1])
	}
	for nSrc+1 < len(src) {
		r, size := unit(nSrc), 2
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if nSrc+3 >= len(src) && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			r = utf8.RuneError
			if nSrc+3 < len(src) {
				if trail := unit(nSrc + 2); trail >= 0xdc00 && trail < 0xe000 {
					r, size = 0x10000+(unit(nSrc)-0xd800)<<10+(trail-0xdc00), 4
				}
			}
		case r >= 0xdc00 && r < 0xe000:
			r = utf8.RuneError
		}
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	if nSrc < len(src) {
		if !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		if nDst+3 > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], utf8.RuneError)
		nSrc++
	}
	return nDst, nSrc, nil
}

// validUTF8 reports whether every byte of r is valid UTF-8 (as a fatal
// TextDecoder reads it), reading it in blocks: the widget's first reading,
// which falls back to Windows-1252 at the first invalid sequence.
func validUTF8(r io.ReaderAt, size int64) (bool, error) {
	buf := make([]byte, min(1<<20, size))
	var c UTF8Check
	for off := int64(0); off < size && c.valid(); {
		n, err := r.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("read the file: %w", err)
		}
		if n == 0 {
			break
		}
		off += int64(n)
		_, _ = c.Write(buf[:n])
	}
	return c.Valid(), nil
}

// A UTF8Check tells whether the bytes written to it, in pieces of any
// size, are valid UTF-8 as a whole, as encoding detection reads a file
// (Options.ValidUTF8): a character cut between two pieces is held back
// until the next. Its zero value is ready; it never fails a Write.
type UTF8Check struct {
	carry   [utf8.UTFMax]byte
	n       int // bytes held in carry: the start of a character cut short
	invalid bool
}

func (c *UTF8Check) valid() bool { return !c.invalid }

// Write checks p after what was written before.
func (c *UTF8Check) Write(p []byte) (int, error) {
	n := len(p)
	if c.invalid {
		return n, nil
	}
	if c.n > 0 { // complete the held character with p's first bytes
		take := min(len(p), utf8.UTFMax-c.n)
		var b [2 * utf8.UTFMax]byte
		held := append(append(b[:0], c.carry[:c.n]...), p[:take]...)
		if !utf8.FullRune(held) {
			c.n = copy(c.carry[:], held)
			return n, nil
		}
		r, size := utf8.DecodeRune(held)
		if r == utf8.RuneError && size == 1 {
			c.invalid = true
			return n, nil
		}
		p, c.n = p[size-c.n:], 0
	}
	cut := len(p)
	for k := len(p) - 1; k >= 0 && k >= len(p)-utf8.UTFMax; k-- {
		if utf8.RuneStart(p[k]) {
			if !utf8.FullRune(p[k:]) {
				cut = k
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		c.invalid = true
		return n, nil
	}
	c.n = copy(c.carry[:], p[cut:])
	return n, nil
}

// Valid reports whether everything written is valid UTF-8 (a character
// cut short at the end is not).
func (c *UTF8Check) Valid() bool { return !c.invalid && (c.n == 0 || utf8.Valid(c.carry[:c.n])) }

// textOf returns the text of a delimited file as UTF-8 and the encoding's
// label: the encoding forced, else a byte order mark's, else UTF-8 when the
// whole file is valid UTF-8, else Windows-1252 (docs/parsing.md, 1). A byte
// order mark of the encoding read is consumed, as TextDecoder does.
func textOf(r io.ReaderAt, size int64, forced string, knownUTF8 bool) (io.Reader, string, error) {
	head := make([]byte, 4)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read the file's start: %w", err)
	}
	head = head[:n]
	label := strings.ToLower(forced)
	if label == "" {
		label = sniffBOM(head)
	}
	valid := false
	if label == "" {
		if valid = knownUTF8; !valid {
			if valid, err = validUTF8(r, size); err != nil {
				return nil, "", err
			}
		}
		label = "windows-1252"
		if valid {
			label = "utf-8"
		}
	}
	dec, bom, err := decoderOf(label)
	if err != nil {
		return nil, "", err
	}
	start := int64(0)
	if len(bom) > 0 && bytes.HasPrefix(head, bom) {
		start = int64(len(bom))
	}
	src := io.NewSectionReader(r, start, size-start)
	if valid {
		// Valid UTF-8 is its own text: no decoding pass.
		return src, label, nil
	}
	return transform.NewReader(src, dec), label, nil
}
