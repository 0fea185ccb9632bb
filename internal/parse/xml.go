package parse

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
)

// A small streaming XML scanner for the parts of an XLSX file, following
// the widget's (xml.ts) so that both read the same text: elements,
// attributes, text and CDATA; comments and processing instructions
// skipped; any DOCTYPE or other declaration refused, which rules out
// entity expansion (only the five predefined entities and character
// references are decoded, as the widget decodes them). Its memory is one
// window: text is passed on in pieces as it comes, only a tag is held
// whole, up to maxMarkup; nesting is bounded by maxDepth.

const (
	// maxMarkup bounds one tag or processing instruction (OOXML's are short).
	maxMarkup = 1 << 20
	// maxDepth bounds element nesting; a worksheet's is under ten.
	maxDepth = 256
	// maxRef is the text held back at a window's end in case it begins a
	// reference.
	maxRef = 64
)

type tokenKind int

const (
	tokOpen tokenKind = iota
	tokClose
	tokText
)

// token is one event; its slices are valid until the next call of next.
type token struct {
	kind        tokenKind
	name        []byte // local name (any "x:" prefix removed)
	attrs       []byte // raw attribute text
	selfClosing bool
	text        []byte // decoded text (a piece of a text node)
}

type xmlScanner struct {
	src        io.Reader
	buf        []byte
	pos, end   int
	eof        bool
	err        error
	depth      int
	inComment  bool
	inCDATA    bool
	loose      bool // non-blank text since the last markup
	scratch    []byte
	attrScrach []byte
}

func newXMLScanner(src io.Reader) *xmlScanner {
	return &xmlScanner{src: src, buf: make([]byte, 64<<10)}
}

// more reads into the window, keeping buf[pos:end]; false at the end.
func (s *xmlScanner) more() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) > maxMarkup+maxRef {
			s.err = fmt.Errorf("%w: markup too long", ErrNotWorkbook)
			return false
		}
		grown := make([]byte, 2*len(s.buf))
		copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	for {
		n, err := s.src.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

func errTruncated() error { return fmt.Errorf("%w: truncated XML", ErrNotWorkbook) }

// next returns the next token, or io.EOF at the end of a well-formed part.
func (s *xmlScanner) next(t *token) error {
	for {
		if s.err != nil {
			return s.err
		}
		if s.inComment || s.inCDATA {
			terminator := []byte("-->")
			if s.inCDATA {
				terminator = []byte("]]>")
			}
			w := s.buf[s.pos:s.end]
			if end := bytes.Index(w, terminator); end >= 0 {
				s.pos += end + 3
				wasCDATA := s.inCDATA
				s.inComment, s.inCDATA = false, false
				s.loose = false
				if wasCDATA && end > 0 {
					return s.emit(t, w[:end], false)
				}
				continue
			}
			// Hold the last two bytes (a terminator may be cut), and a CR before them.
			cut := max(0, len(w)-2)
			if cut > 0 && w[cut-1] == '\r' {
				cut--
			}
			piece := w[:cut]
			s.pos += cut
			if s.inCDATA && cut > 0 {
				s.loose = false
				return s.emit(t, piece, false)
			}
			if !s.more() {
				if s.err != nil {
					return s.err
				}
				return errTruncated()
			}
			continue
		}
		w := s.buf[s.pos:s.end]
		lt := bytes.IndexByte(w, '<')
		if lt < 0 {
			// Text with no markup after it yet: pass it on but for a
			// possible reference or CR cut at the window's end.
			cut := len(w)
			if !s.eof {
				if amp := bytes.LastIndexByte(w, '&'); amp >= 0 && len(w)-amp <= maxRef && refPrefix(w[amp+1:]) {
					cut = amp
				}
				if cut > 0 && w[cut-1] == '\r' {
					cut--
				}
			}
			if cut > 0 {
				s.pos += cut
				return s.emit(t, w[:cut], true)
			}
			if !s.more() {
				if s.err != nil {
					return s.err
				}
				if s.loose || s.pos < s.end {
					return errTruncated()
				}
				return io.EOF
			}
			continue
		}
		if lt > 0 {
			s.pos += lt
			return s.emit(t, w[:lt], true)
		}
		// Markup at pos.
		s.loose = false
		if len(w) < 2 && s.more() {
			continue
		}
		if len(w) < 2 {
			return errTruncated()
		}
		switch w[1] {
		case '!':
			if len(w) < 9 && !s.eof {
				s.more()
				continue
			}
			if bytes.HasPrefix(w, []byte("<!--")) {
				s.pos += 4
				s.inComment = true
				continue
			}
			if bytes.HasPrefix(w, []byte("<![CDATA[")) {
				s.pos += 9
				s.inCDATA = true
				continue
			}
			return fmt.Errorf("%w: DOCTYPE and declarations are not allowed", ErrNotWorkbook)
		}
		gt := tagEnd(w)
		if gt < 0 {
			if !s.more() {
				if s.err != nil {
					return s.err
				}
				return errTruncated()
			}
			continue
		}
		tag := w[:gt+1]
		s.pos += gt + 1
		switch tag[1] {
		case '?':
			continue
		case '/':
			s.depth--
			*t = token{kind: tokClose, name: localName(bytes.TrimSpace(tag[2:gt]))}
			return nil
		}
		selfClosing := tag[gt-1] == '/'
		inner := tag[1:gt]
		if selfClosing {
			inner = tag[1 : gt-1]
		}
		nameEnd := 0
		for nameEnd < len(inner) && inner[nameEnd] != ' ' && inner[nameEnd] != '\t' && inner[nameEnd] != '\n' && inner[nameEnd] != '\r' {
			nameEnd++
		}
		if !selfClosing {
			s.depth++
			if s.depth > maxDepth {
				return fmt.Errorf("%w: elements nested deeper than %d", ErrNotWorkbook, maxDepth)
			}
		}
		*t = token{kind: tokOpen, name: localName(inner[:nameEnd]), attrs: inner[nameEnd:], selfClosing: selfClosing}
		return nil
	}
}

// tagEnd is the index of the '>' that closes the tag at w[0], outside
// quoted attribute values, or -1 when w does not hold it yet.
func tagEnd(w []byte) int {
	var quote byte
	for i := 1; i < len(w); i++ {
		c := w[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// refPrefix reports text after '&' that may begin a reference.
func refPrefix(b []byte) bool {
	if len(b) > 0 && b[0] == '#' {
		b = b[1:]
		if len(b) > 0 && b[0] == 'x' {
			b = b[1:]
		}
		for _, c := range b {
			if !isHex(c) {
				return false
			}
		}
		return true
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func localName(q []byte) []byte {
	if i := bytes.IndexByte(q, ':'); i >= 0 {
		return q[i+1:]
	}
	return q
}

// emit makes a text token of raw: line ends as XML 1.0 §2.11 passes them
// (CR LF and lone CR become LF), then, outside CDATA, references decoded.
func (s *xmlScanner) emit(t *token, raw []byte, refs bool) error {
	text := raw
	if bytes.IndexByte(text, '\r') >= 0 {
		s.scratch = eol(s.scratch[:0], text)
		text = s.scratch
	}
	if refs {
		if bytes.IndexByte(text, '&') >= 0 {
			s.attrScrach = unescapeXML(s.attrScrach[:0], text)
			text = s.attrScrach
		}
		if !s.loose && !blankBytes(text) {
			s.loose = true
		}
	}
	*t = token{kind: tokText, text: text}
	return nil
}

// blankBytes reports text made only of trim-set characters.
func blankBytes(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < 9 || c > 13) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !template.IsSpace(r) {
			return false
		}
		i += size
	}
	return true
}

func eol(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

var entities = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "quot": '"', "apos": '\''}

// unescapeXML decodes &(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+); as xml.ts
// unescapeXml does: an unknown name or a code point past U+10FFFF is kept
// as written. Each '&' is matched once, as the regular expression does.
func unescapeXML(dst, src []byte) []byte {
	for {
		amp := bytes.IndexByte(src, '&')
		if amp < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:amp]...)
		src = src[amp:]
		if r, n := reference(src); n > 0 {
			dst = utf8.AppendRune(dst, r)
			src = src[n:]
			continue
		}
		dst = append(dst, '&')
		src = src[1:]
	}
}

// reference decodes the reference at src[0] == '&' and returns its rune
// and length, or length 0 when none is there.
func reference(src []byte) (rune, int) {
	i := 1
	if i < len(src) && src[i] == '#' {
		i++
		hex := i < len(src) && src[i] == 'x'
		if hex {
			i++
		}
		start := i
		for i < len(src) && (hex && isHex(src[i]) || !hex && src[i] >= '0' && src[i] <= '9') {
			i++
		}
		if i == start || i >= len(src) || src[i] != ';' {
			return 0, 0
		}
		base := 10
		if hex {
			base = 16
		}
		v, err := strconv.ParseUint(string(src[start:i]), base, 32)
		if err != nil || v > 0x10ffff {
			return 0, 0
		}
		return rune(v), i + 1
	}
	for i < len(src) && src[i] >= 'a' && src[i] <= 'z' {
		i++
	}
	if i == 1 || i >= len(src) || src[i] != ';' {
		return 0, 0
	}
	if c, ok := entities[string(src[1:i])]; ok {
		return rune(c), i + 1
	}
	return 0, 0
}

// attr returns the unescaped value of attribute name in a raw attribute
// text, as xml.ts attr finds it, and ok false when it is absent.
func attr(attrs []byte, name string) (string, bool) {
	v, ok := attrBytes(attrs, []byte(name))
	return string(v), ok
}

// attrBytes is attr without a copy when the value has no reference.
func attrBytes(attrs []byte, name []byte) ([]byte, bool) {
	from := 0
	for {
		at := bytes.Index(attrs[from:], name)
		if at < 0 {
			return nil, false
		}
		at += from
		before := byte(' ')
		if at > 0 {
			before = attrs[at-1]
		}
		p := at + len(name)
		for p < len(attrs) && attrs[p] == ' ' {
			p++
		}
		if (before == ' ' || before == '\t' || before == '\n' || before == '\r' || before == ':') && p < len(attrs) && attrs[p] == '=' {
			p++
			for p < len(attrs) && attrs[p] == ' ' {
				p++
			}
			if p < len(attrs) && (attrs[p] == '"' || attrs[p] == '\'') {
				end := bytes.IndexByte(attrs[p+1:], attrs[p])
				if end < 0 {
					return nil, false
				}
				raw := attrs[p+1 : p+1+end]
				if bytes.IndexByte(raw, '&') < 0 {
					return raw, true
				}
				return unescapeXML(nil, raw), true
			}
		}
		from = at + len(name)
	}
}
