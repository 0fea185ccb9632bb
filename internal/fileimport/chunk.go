package fileimport

// batch gathers the rows of one chunk for ingest.PutRows, which takes them
// as they are instead of as JSON to encode and decode again (a fifth of a
// file import's cost). The parser's rows are valid only until its next
// row, but their strings are never changed, so a batch copies the cells'
// string headers, not their bytes. Its arrays are allocated once, for
// chunkRows rows, so that the pointers into cells stay valid as rows are
// added, and are reused chunk after chunk.
type batch struct {
	cells []string
	ptrs  []*string
	rows  [][]*string
	bytes int // the cells' bytes, to cut a chunk of long cells early
}

func newBatch(width int) *batch {
	return &batch{cells: make([]string, 0, chunkRows*width), ptrs: make([]*string, 0, chunkRows*width),
		rows: make([][]*string, 0, chunkRows)}
}

func (b *batch) reset() {
	clear(b.cells) // the strings of the chunk sent are not kept alive
	b.cells, b.ptrs, b.rows, b.bytes = b.cells[:0], b.ptrs[:0], b.rows[:0], 0
}

// add copies a row in; the batch must hold fewer than chunkRows rows.
func (b *batch) add(row []*string) {
	start := len(b.ptrs)
	for _, c := range row {
		if c == nil {
			b.cells = append(b.cells, "")
			b.ptrs = append(b.ptrs, nil)
			continue
		}
		b.cells = append(b.cells, *c)
		b.ptrs = append(b.ptrs, &b.cells[len(b.cells)-1])
		b.bytes += len(*c)
	}
	b.rows = append(b.rows, b.ptrs[start:len(b.ptrs):len(b.ptrs)])
}
