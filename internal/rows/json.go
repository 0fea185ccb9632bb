package rows

import "unicode/utf8"

// RowEncoder writes rows as JSON objects keyed by column, for webhook
// batches and JSON Lines files alike. Keys are quoted once; cells are
// appended without reflection or per-cell allocation.
type RowEncoder struct {
	keys [][]byte // `"key":` for each column
}

// NewRowEncoder prepares the object keys for columns.
func NewRowEncoder(columns []string) *RowEncoder {
	e := &RowEncoder{}
	for _, c := range columns {
		e.keys = append(e.keys, append(AppendJSONString(nil, c), ':'))
	}
	return e
}

// AppendRow appends row as {"col":"value",…}: a nil or missing cell is
// null, a cell beyond the columns is dropped.
func (e *RowEncoder) AppendRow(dst []byte, row []*string) []byte {
	dst = append(dst, '{')
	for j, key := range e.keys {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, key...)
		if j < len(row) && row[j] != nil {
			dst = AppendJSONString(dst, *row[j])
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes copied as they are: printable ASCII but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; U+2028 and U+2029 are escaped so the payload is also
// safe to embed in JavaScript.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
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
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
