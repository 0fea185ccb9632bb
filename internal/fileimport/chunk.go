package fileimport

import (
	"strconv"
	"unicode/utf8"
)

// chunkWriter builds the body of an upload chunk, {"first_row":R,"rows":[…]},
// the very bytes the widget sends, so that the job's chunks take ingest's
// path unchanged. It is hand-written rather than encoding/json because it
// runs for every cell of a file (a million rows of ten cells cost 0.3 s
// through json.Marshal, most of it reflection and allocation); a test holds
// its strings to encoding/json's.
type chunkWriter struct {
	buf  []byte
	rows int
}

func (c *chunkWriter) reset(firstRow int64) {
	c.buf = append(strconv.AppendInt(append(c.buf[:0], `{"first_row":`...), firstRow, 10), `,"rows":[`...)
	c.rows = 0
}

func (c *chunkWriter) add(row []*string) {
	if c.rows > 0 {
		c.buf = append(c.buf, ',')
	}
	c.rows++
	c.buf = append(c.buf, '[')
	for i, cell := range row {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		if cell == nil {
			c.buf = append(c.buf, "null"...)
			continue
		}
		c.buf = appendJSONString(c.buf, *cell)
	}
	c.buf = append(c.buf, ']')
}

func (c *chunkWriter) body() []byte { return append(c.buf, "]}"...) }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as encoding/json writes it.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
