package rows

import (
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// parquetWriter writes every column as an optional UTF-8 string, a null
// cell as a null: the template's types are checked upstream, and strings
// keep the values exactly as the end user's file had them.
type parquetWriter struct {
	w     *parquet.GenericWriter[any]
	index []int // index[j] = the parquet leaf column of template column j
	rows  []parquet.Row
}

func newParquet(w io.Writer, columns []string) *parquetWriter {
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
	p := &parquetWriter{w: parquet.NewGenericWriter[any](w, schema)}
	for _, c := range columns {
		p.index = append(p.index, slices.Index(leaves, c))
	}
	return p
}

func (p *parquetWriter) WriteRows(rows [][]*string) error {
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

func (p *parquetWriter) Close() error {
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
