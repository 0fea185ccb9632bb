package rows

import (
	"io"
)

// jsonlWriter writes one JSON object per row, keyed by column, nulls kept.
// Programs read it, so values are written as they are, not neutralized.
type jsonlWriter struct {
	w   io.Writer
	enc *RowEncoder
	buf []byte
}

func newJSONL(w io.Writer, columns []string) *jsonlWriter {
	return &jsonlWriter{w: w, enc: NewRowEncoder(columns), buf: make([]byte, 0, flushAt+4096)}
}

func (j *jsonlWriter) WriteRows(rows [][]*string) error {
	for _, row := range rows {
		j.buf = append(j.enc.AppendRow(j.buf, row), '\n')
		if len(j.buf) >= flushAt {
			if _, err := j.w.Write(j.buf); err != nil {
				return err
			}
			j.buf = j.buf[:0]
		}
	}
	return nil
}

func (j *jsonlWriter) Close() error {
	_, err := j.w.Write(j.buf)
	j.buf = j.buf[:0]
	return err
}
