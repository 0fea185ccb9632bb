package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ChunkBody is a decoded chunk request body: {"first_row":R,"rows":[[…],…]}.
type ChunkBody struct {
	FirstRow int64
	// Rows hold the cells in the upload's column order; nil is an empty cell.
	Rows [][]*string
}

// DecodeError says what is wrong with a chunk body. It names a position
// (row index within the chunk, column index) and never quotes a value.
type DecodeError struct {
	Row, Column int // -1 when not about a cell
	Reason      string
}

func (e *DecodeError) Error() string {
	switch {
	case e.Row >= 0 && e.Column >= 0:
		return fmt.Sprintf("rows[%d][%d]: %s", e.Row, e.Column, e.Reason)
	case e.Row >= 0:
		return fmt.Sprintf("rows[%d]: %s", e.Row, e.Reason)
	}
	return e.Reason
}

// maxFirstRow bounds first_row (10^12 rows is far beyond any import).
const maxFirstRow = 1_000_000_000_000

// DecodeChunk parses a chunk body whose rows must each have width values,
// strings or null. It takes ownership of body: the returned strings share
// its memory, so the caller must not change body afterwards. It is a purpose-built decoder rather than encoding/json
// because it is the hot path of ingest: unescaped strings are views into the
// body, and the cells of a chunk share two allocations. Invalid
// UTF-8 and lone surrogates become U+FFFD, as encoding/json does, so every
// string returned is valid UTF-8 (ingest relies on it and does not check
// again); the fuzz test holds the two decoders to the same answers.
func DecodeChunk(body []byte, width int) (ChunkBody, error) {
	return decodeChunk(body, width, &cellTable{}, math.MaxInt)
}

// errRowLimit means a chunk holds more than the maxRows given to
// decodeChunk: it is refused as a whole, before the rows past the bound
// cost anything.
var errRowLimit = errors.New("chunk holds more rows than allowed")

// decodeChunk is DecodeChunk reusing the arrays of t, which it leaves
// holding the arrays of the result, and refusing a chunk of more than
// maxRows rows with errRowLimit.
func decodeChunk(body []byte, width int, t *cellTable, maxRows int) (ChunkBody, error) {
	d := decoder{s: unsafe.String(unsafe.SliceData(body), len(body)), width: width, cells: t.cells[:0], ptrs: t.ptrs[:0], maxRows: maxRows}
	// Size the cell arrays once: each row ends with ']' (a string may hold
	// one too, which only over-reserves), so append never copies. A count
	// of one byte is vectorised, several times faster than counting "],[".
	// Never beyond maxRows: a chunk of more is refused at row maxRows+1.
	if n := min(bytes.Count(body, rowEnd), maxRows); n*width > cap(d.cells) && n <= len(body)/(2*max(width, 1))+1 {
		d.cells = make([]string, 0, n*width)
		d.ptrs = make([]*string, 0, n*width)
	}
	out, err := d.chunk(t)
	t.cells, t.ptrs = d.cells, d.ptrs
	if err != nil {
		return ChunkBody{}, err
	}
	return out, nil
}

type decoder struct {
	s     string
	i     int
	width int
	cells []string
	ptrs  []*string
	nrows int
	// maxRows bounds nrows (errRowLimit).
	maxRows int
}

func (d *decoder) fail(row, col int, format string, args ...any) error {
	return &DecodeError{Row: row, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i >= len(d.s) {
		return 0
	}
	return d.s[d.i]
}

func (d *decoder) expect(c byte, row, col int, what string) error {
	if d.peek() != c {
		if d.i >= len(d.s) {
			return d.fail(row, col, "unexpected end of body, want %s", what)
		}
		return d.fail(row, col, "malformed JSON at byte %d, want %s", d.i, what)
	}
	d.i++
	return nil
}

func (d *decoder) chunk(t *cellTable) (ChunkBody, error) {
	var out ChunkBody
	if err := d.expect('{', -1, -1, "an object"); err != nil {
		return out, err
	}
	var seenFirst, seenRows bool
	for first := true; ; first = false {
		if d.peek() == '}' && first {
			d.i++
			break
		}
		if d.peek() != '"' {
			return out, d.fail(-1, -1, "malformed JSON at byte %d, want a key", d.i)
		}
		key, ok := d.str()
		if !ok {
			return out, d.fail(-1, -1, "malformed key at byte %d", d.i)
		}
		if err := d.expect(':', -1, -1, "':'"); err != nil {
			return out, err
		}
		switch key {
		case "first_row":
			if seenFirst {
				return out, d.fail(-1, -1, "first_row given twice")
			}
			seenFirst = true
			v, err := d.int()
			if err != nil {
				return out, err
			}
			out.FirstRow = v
		case "rows":
			if seenRows {
				return out, d.fail(-1, -1, "rows given twice")
			}
			seenRows = true
			if err := d.rows(); err != nil {
				return out, err
			}
		default:
			return out, d.fail(-1, -1, "unknown field at byte %d (want first_row and rows)", d.i)
		}
		switch d.peek() {
		case ',':
			d.i++
			continue
		case '}':
			d.i++
		default:
			return out, d.fail(-1, -1, "malformed JSON at byte %d, want ',' or '}'", d.i)
		}
		break
	}
	if d.peek() != 0 {
		return out, d.fail(-1, -1, "trailing data after the object at byte %d", d.i)
	}
	if !seenFirst || !seenRows {
		return out, d.fail(-1, -1, "first_row and rows are required")
	}
	t.rows = grow(t.rows, d.nrows)
	out.Rows = t.rows
	for r := range out.Rows {
		out.Rows[r] = d.ptrs[r*d.width : (r+1)*d.width : (r+1)*d.width]
	}
	return out, nil
}

func (d *decoder) int() (int64, error) {
	d.ws()
	start := d.i
	for d.i < len(d.s) && (d.s[d.i] >= '0' && d.s[d.i] <= '9' || d.s[d.i] == '-') {
		d.i++
	}
	v, err := strconv.ParseInt(d.s[start:d.i], 10, 64)
	if err != nil || v < 0 || v > maxFirstRow || (len(d.s[start:d.i]) > 1 && d.s[start] == '0') {
		return 0, d.fail(-1, -1, "first_row must be an integer from 0 to %d", int64(maxFirstRow))
	}
	if c := d.peek(); c == '.' || c == 'e' || c == 'E' {
		return 0, d.fail(-1, -1, "first_row must be an integer")
	}
	return v, nil
}

func (d *decoder) rows() error {
	if err := d.expect('[', -1, -1, "an array of rows"); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.i++
		return nil
	}
	for {
		if d.nrows >= d.maxRows {
			return errRowLimit
		}
		if err := d.row(d.nrows); err != nil {
			return err
		}
		d.nrows++
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.fail(d.nrows, -1, "malformed JSON at byte %d, want ',' or ']'", d.i)
		}
	}
}

func (d *decoder) row(r int) error {
	if err := d.expect('[', r, -1, "an array of values"); err != nil {
		return err
	}
	if cap(d.cells)-len(d.cells) < d.width {
		d.reserve()
	}
	base := len(d.ptrs)
	if d.peek() == ']' {
		d.i++
		return d.fail(r, -1, "has 0 values, want %d", d.width)
	}
	for c := 0; ; c++ {
		if c >= d.width {
			return d.fail(r, -1, "has more than %d values", d.width)
		}
		// JSON.stringify writes no whitespace: look at the next byte
		// before skipping any.
		switch d.next() {
		case '"':
			v, ok := d.str()
			if !ok {
				return d.fail(r, c, "malformed string")
			}
			// A pointer into cells stays valid if a later append moves
			// cells: the old array lives on, and strings never change.
			d.cells = append(d.cells, v)
			d.ptrs = append(d.ptrs, &d.cells[len(d.cells)-1])
		case 'n':
			if len(d.s)-d.i < 4 || d.s[d.i:d.i+4] != "null" {
				return d.fail(r, c, "malformed JSON at byte %d", d.i)
			}
			d.i += 4
			d.cells = append(d.cells, "")
			d.ptrs = append(d.ptrs, nil)
		default:
			return d.fail(r, c, "must be a string or null")
		}
		switch d.next() {
		case ',':
			d.i++
			continue
		case ']':
			d.i++
		default:
			return d.fail(r, c, "malformed JSON at byte %d, want ',' or ']'", d.i)
		}
		if got := len(d.ptrs) - base; got != d.width {
			return d.fail(r, -1, "has %d values, want %d", got, d.width)
		}
		return nil
	}
}

// next is peek without its call when the next byte is not whitespace.
func (d *decoder) next() byte {
	if d.i < len(d.s) {
		if c := d.s[d.i]; c > ' ' {
			return c
		}
	}
	return d.peek()
}

var rowEnd = []byte("]")

// reserve grows the cell arrays, when counting ']' undersized them (a
// body that is not a chunk of rows), straight to the most cells the body can hold —
// a row of width cells takes at least 3·width+1 bytes — rather than by
// doubling, which holds the old and the new arrays at once. chunkCost
// reserves memory by the same bound.
func (d *decoder) reserve() {
	n := min(d.maxRows, len(d.s)/(3*max(d.width, 1)+1)+1) * d.width
	if n <= cap(d.cells) {
		return // a bound the body is past: append grows the arrays
	}
	d.cells = append(make([]string, 0, n), d.cells...)
	d.ptrs = append(make([]*string, 0, n), d.ptrs...)
}

// str reads a JSON string at d.i (which is at the opening quote). A string
// without escapes and with valid UTF-8 is returned as a view of the body.
// One pass finds its end: plain ASCII is skipped eight bytes at a time, and
// only a quote, a backslash, a control character or a non-ASCII byte stops
// the scan.
func (d *decoder) str() (string, bool) {
	d.i++ // opening quote
	start := d.i
	for i := start; ; {
		i = nextSpecial(d.s, i)
		if i >= len(d.s) {
			return "", false
		}
		switch c := d.s[i]; {
		case c == '"':
			d.i = i + 1
			return d.s[start:i], true
		case c == '\\':
			d.i = i
			return d.slowStr(start)
		case c < 0x20:
			return "", false
		default: // the first byte of a UTF-8 sequence, or an invalid byte
			r, size := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && size == 1 {
				d.i = i
				return d.slowStr(start)
			}
			i += size
		}
	}
}

// nextSpecial returns the index of the first byte of s from i on that ends a
// run of plain string content — '"', '\\', a byte below 0x20 or one from
// 0x80 — or len(s). It reads eight bytes at a time: for a word x,
// (x - 0x01…) &^ x & 0x80… flags the bytes of x that are zero (and may flag
// bytes above a zero byte, never below), so the lowest flag of the union
// below is the first special byte.
func nextSpecial(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8] // one bounds check; the loads below combine into one
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		q, b := x^(ones*'"'), x^(ones*'\\')
		if m := ((q-ones)&^q | (b-ones)&^b | (x-ones*0x20)&^x | x) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// slowStr decodes a string with escapes or invalid UTF-8 into a new buffer.
func (d *decoder) slowStr(start int) (string, bool) {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.s[start:d.i]...)
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return unsafe.String(unsafe.SliceData(buf), len(buf)), true
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return "", false
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					r = d.lowSurrogate(r)
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d.s[d.i:d.i+size]...)
			}
			d.i += size
		default:
			buf = append(buf, c)
			d.i++
		}
	}
	return "", false
}

// lowSurrogate completes a surrogate pair, or yields U+FFFD for a lone half
// (leaving a following escape to be read on its own), like encoding/json.
func (d *decoder) lowSurrogate(hi rune) rune {
	if hi >= 0xDC00 || len(d.s)-d.i < 6 || d.s[d.i] != '\\' || d.s[d.i+1] != 'u' {
		return utf8.RuneError
	}
	save := d.i
	d.i += 2
	lo, ok := d.hex4()
	if ok {
		if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
			return r
		}
	}
	d.i = save
	return utf8.RuneError
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.s)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// IsDecodeError reports whether err is a client error from DecodeChunk.
func IsDecodeError(err error) bool {
	var de *DecodeError
	return errors.As(err, &de)
}
