package rows

import "io"

// flushAt is how many bytes a text writer gathers before writing them out.
const flushAt = 64 << 10

// csvWriter writes RFC 4180 CSV (CRLF line ends) with a header of column
// keys. A null cell is an empty field; an empty string is "" so the two stay
// distinct for readers that care.
type csvWriter struct {
	w   io.Writer
	buf []byte
}

// csvQuote marks bytes that force a field into quotes.
var csvQuote = [256]bool{',': true, '"': true, '\r': true, '\n': true}

func newCSV(w io.Writer, columns []string) (*csvWriter, error) {
	c := &csvWriter{w: w, buf: make([]byte, 0, flushAt+4096)}
	for i, col := range columns {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendCSVField(c.buf, col)
	}
	c.buf = append(c.buf, '\r', '\n')
	return c, nil
}

func (c *csvWriter) WriteRows(rows [][]*string) error {
	for _, row := range rows {
		for i, v := range row {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			if v != nil {
				c.buf = appendCSVField(c.buf, *v)
			}
		}
		c.buf = append(c.buf, '\r', '\n')
		if len(c.buf) >= flushAt {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *csvWriter) flush() error {
	_, err := c.w.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

func (c *csvWriter) Close() error { return c.flush() }

// appendCSVField appends s as one CSV field: neutralized against formulas,
// quoted when it holds a delimiter, quote or line break, starts with a space,
// or is empty.
func appendCSVField(dst []byte, s string) []byte {
	neutral := NeedsNeutralizing(s)
	quote := len(s) == 0 || s[0] == ' '
	for i := 0; i < len(s) && !quote; i++ {
		quote = csvQuote[s[i]]
	}
	if !quote {
		if neutral {
			dst = append(dst, '\'')
		}
		return append(dst, s...)
	}
	dst = append(dst, '"')
	if neutral {
		dst = append(dst, '\'')
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
