package s3dest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/intakehq/intake/internal/deliver"
)

// Format is the file format an import is written in.
type Format string

// Formats an S3 destination writes.
const (
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
)

// ext is the file extension the key template's {ext} stands for.
func (f Format) ext() string { return string(f) }

func (f Format) contentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case JSONL:
		return "application/jsonl"
	default:
		return "application/vnd.apache.parquet"
	}
}

// rowWriter encodes batches of rows onto a stream, one batch at a time, so
// an import never sits in memory whole.
type rowWriter interface {
	write(rows [][]*string) error
	close() error
}

func newRowWriter(f Format, w io.Writer, columns []string) (rowWriter, error) {
	switch f {
	case CSV:
		return newCSVWriter(w, columns)
	case JSONL:
		return &jsonlWriter{w: w, enc: deliver.NewRowEncoder(columns)}, nil
	case Parquet:
		return newParquetWriter(w, columns), nil
	}
	return nil, fmt.Errorf("unknown format %q (want csv, jsonl or parquet)", f)
}

// csvWriter writes RFC 4180 CSV with a header row of column keys; a nil
// cell is an empty field.
type csvWriter struct {
	buf *bufio.Writer
	csv *csv.Writer
	rec []string
}

func newCSVWriter(w io.Writer, columns []string) (*csvWriter, error) {
	buf := bufio.NewWriterSize(w, 256<<10)
	c := &csvWriter{buf: buf, csv: csv.NewWriter(buf), rec: make([]string, len(columns))}
	if err := c.csv.Write(columns); err != nil {
		return nil, fmt.Errorf("csv header: %w", err)
	}
	return c, nil
}

func (c *csvWriter) write(rows [][]*string) error {
	for _, row := range rows {
		for j := range c.rec {
			c.rec[j] = ""
			if j < len(row) && row[j] != nil {
				c.rec[j] = *row[j]
			}
		}
		if err := c.csv.Write(c.rec); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	return nil
}

func (c *csvWriter) close() error {
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return c.buf.Flush()
}

// jsonlWriter writes one JSON object per line, keyed by column.
type jsonlWriter struct {
	w   io.Writer
	enc *deliver.RowEncoder
	buf []byte
}

func (j *jsonlWriter) write(rows [][]*string) error {
	j.buf = j.buf[:0]
	for _, row := range rows {
		j.buf = append(j.enc.AppendRow(j.buf, row), '\n')
	}
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonlWriter) close() error { return nil }

// parquetWriter writes every column as an optional UTF-8 string: the
// template's types are checked upstream, and strings keep the values
// exactly as the end user's file had them.
type parquetWriter struct {
	w     *parquet.Writer
	index []int // index[j] = the parquet leaf column of template column j
	rows  []parquet.Row
}

func newParquetWriter(w io.Writer, columns []string) *parquetWriter {
	group := parquet.Group{}
	for _, c := range columns {
		group[c] = parquet.Optional(parquet.String())
	}
	schema := parquet.NewSchema("import", group)
	// A Group orders its fields by name; map template order onto it.
	leaves := make([]string, 0, len(columns))
	for _, path := range schema.Columns() {
		leaves = append(leaves, path[0])
	}
	p := &parquetWriter{w: parquet.NewWriter(w, schema)}
	for _, c := range columns {
		p.index = append(p.index, slices.Index(leaves, c))
	}
	return p
}

func (p *parquetWriter) write(rows [][]*string) error {
	p.rows = p.rows[:0]
	for _, row := range rows {
		r := make(parquet.Row, len(p.index))
		for j, leaf := range p.index {
			if j < len(row) && row[j] != nil {
				r[leaf] = parquet.ByteArrayValue([]byte(*row[j])).Level(0, 1, leaf)
			} else {
				r[leaf] = parquet.NullValue().Level(0, 0, leaf)
			}
		}
		p.rows = append(p.rows, r)
	}
	if _, err := p.w.WriteRows(p.rows); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

func (p *parquetWriter) close() error {
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
