package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Unique columns are checked in two steps. A chunk's own rows are checked
// against each other by ingest when it takes the chunk; what the chunk
// claims (a keyed hash of each value it holds first) is written with it as
// runs, one a hash bucket, in the chunk's transaction. The runs of every chunk are
// merged when the import completes, and a value held by several rows is
// kept by the row that comes first in the import (the lowest row number as
// sent), whatever order the chunks arrived in, on whichever replica: every
// later row holding it is a duplicate. Writing a chunk's runs costs a pass
// and one statement, where claiming each value in an index of random hashes
// cost a B-tree page write a value (see docs/benchmarks.md, Ingest).

// Claim is one unique value held by one row: Key is a keyed hash (64 bits)
// of the normalised value in unique column Col, Row the row's number in the
// import as sent; HadErrors tells whether the row has errors already (so
// that a duplicate found at completion is counted as a new row with errors
// or not, without reading the chunk).
type Claim struct {
	Key       uint64
	Col       int
	Row       int64
	HadErrors bool
}

// Duplicate is a row found at completion to hold a value that a row before
// it in the import holds too, in unique column Col.
type Duplicate struct {
	Row       int64
	Col       int
	HadErrors bool
}

// ChunkDuplicates are the duplicates found in one stored chunk, by row.
type ChunkDuplicates struct {
	Chunk Chunk
	Rows  []Duplicate
}

// DuplicatesHook turns the duplicates found when an import completes into
// errors of the chunks that hold them, inside the completion's transaction:
// it returns each chunk's sealed duplicates overlay (Chunk.Duplicates), in
// the order given, or an error that fails the completion. The store counts
// the rows and columns with errors itself.
type DuplicatesHook func(ctx context.Context, im Import, found []ChunkDuplicates) ([][]byte, error)

// A chunk's claims are stored split by the top bits of their key
// into the import's buckets, one row a bucket: at completion each bucket is
// read from every chunk and sorted, so the merge holds one bucket at a time
// (about bucketRows rows' claims) whatever the size of the import. The
// buckets of an import follow from the rows it announced, so every replica
// splits its chunks alike. A chunk's rows are next to one another (keyed
// by chunk, then bucket), so that storing them writes consecutive pages.
//
// A run has one of two layouts. The first, of chunks stored before the
// second existed, is entries of claimSize bytes: the key, then the column
// (bits 48 to 62), whether the row had errors already (the top bit) and
// the row in the import (low 48 bits), both big endian. The second is the
// byte compactFormat then entries of compactSize bytes: the key, then
// whether the row had errors (the top bit), the column (the next
// compactColBits bits) and the row's offset from the chunk's first row
// (the low compactRowBits bits), big endian. A first-layout run is a
// multiple of 16 bytes long and a second-layout run never is (1 + 12k), so
// the length tells them apart, and code that knows only the first refuses
// the second (its length check) rather than misreading it. A chunk whose
// columns or offsets do not fit the second layout is stored in the first.
const (
	claimSize  = 16
	rowBits    = 48
	bucketRows = 32 << 10
	maxBuckets = 1 << 10

	compactFormat  = 2
	compactSize    = 12
	compactRowBits = 22
	compactColBits = 31 - compactRowBits
)

// MaxClaimColumn is the highest column index a claim can name.
const MaxClaimColumn = 1<<(63-rowBits) - 1

// hadErrors is the bit of an entry's colRow telling that the row had errors
// when its chunk was stored; entries sort and compare without it.
const hadErrors = 1 << 63

// bucketBits is log2 of the buckets of an import announcing expectedRows:
// enough for bucketRows rows a bucket, at most maxBuckets.
func bucketBits(expectedRows int64) int {
	b := 0
	for int64(bucketRows)<<b < expectedRows && 1<<b < maxBuckets {
		b++
	}
	return b
}

// entry is a claim as stored: it sorts as (key, column, row).
type entry struct{ key, colRow uint64 }

func compareEntries(a, b entry) int {
	if a.key != b.key {
		return cmp.Compare(a.key, b.key)
	}
	return cmp.Compare(a.colRow&^hadErrors, b.colRow&^hadErrors)
}

// col is the column an entry claims a value in.
func (e entry) col() int { return int(e.colRow &^ hadErrors >> rowBits) }

// putClaims writes the claims of chunk n, whose rows start at firstRow,
// one row a bucket, in one statement.
func (w *ChunkWriter) putClaims(n int, firstRow int64, claims []Claim) error {
	if len(claims) == 0 {
		return nil
	}
	compact := true
	for _, c := range claims {
		if c.Col < 0 || c.Col > MaxClaimColumn || c.Row < 0 || c.Row >= 1<<rowBits {
			return fmt.Errorf("claims of chunk %d: column %d or row %d out of range", n, c.Col, c.Row)
		}
		if c.Col >= 1<<compactColBits || c.Row < firstRow || c.Row-firstRow >= 1<<compactRowBits {
			compact = false
		}
	}
	runs := encodeRuns(claims, firstRow, bucketBits(w.im.ExpectedRows), compact)
	var sb strings.Builder
	sb.WriteString(`INSERT INTO claim_runs (import_id, n, bucket, claims) VALUES `)
	var args []any
	for b, run := range runs {
		if run == nil {
			continue
		}
		if len(args) > 0 {
			sb.WriteByte(',')
		}
		if w.s.postgres {
			fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d)", len(args)+1, len(args)+2, len(args)+3, len(args)+4)
		} else {
			// SQLite looks $N names up linearly: anonymous ? is O(1) per parameter.
			sb.WriteString("(?,?,?,?)")
		}
		args = append(args, w.im.ID, n, b, run)
	}
	if _, err := w.s.txExec(w.ctx, w.tx, sb.String(), args...); err != nil {
		return fmt.Errorf("claims of chunk %d: %w", n, err)
	}
	return nil
}

// encodeRuns splits the claims of a chunk whose rows start at firstRow
// into the runs of 1<<bits buckets (nil for a bucket without claims), in
// the compact layout or the first. A bucket's claims are in the chunk's
// order, not sorted: the merge sorts each bucket as it reads it, so a
// counting pass by bucket is all a chunk needs (sorting the chunk's claims
// was a quarter of storing them). The runs share one buffer.
func encodeRuns(claims []Claim, firstRow int64, bits int, compact bool) [][]byte {
	// start[b] is where bucket b begins among the chunk's claims.
	start := make([]int, 1<<bits+1)
	for _, c := range claims {
		start[bucket(c.Key, bits)+1]++
	}
	for b := range 1 << bits {
		start[b+1] += start[b]
	}
	size, header := claimSize, 0
	if compact {
		size, header = compactSize, 1
	}
	// Run b is buf[header*b+size*start[b] : header*(b+1)+size*start[b+1]];
	// at[b] is where its next claim goes.
	buf := make([]byte, size*len(claims)+header<<bits)
	at := make([]int, 1<<bits)
	for b := range at {
		at[b] = header*(b+1) + size*start[b]
		if compact {
			buf[at[b]-1] = compactFormat
		}
	}
	for _, c := range claims {
		b := bucket(c.Key, bits)
		e := buf[at[b]:]
		at[b] += size
		binary.BigEndian.PutUint64(e, c.Key)
		if compact {
			v := uint32(c.Col)<<compactRowBits | uint32(c.Row-firstRow)
			if c.HadErrors {
				v |= 1 << 31
			}
			binary.BigEndian.PutUint32(e[8:], v)
			continue
		}
		colRow := uint64(c.Col)<<rowBits | uint64(c.Row)
		if c.HadErrors {
			colRow |= hadErrors
		}
		binary.BigEndian.PutUint64(e[8:], colRow)
	}
	runs := make([][]byte, 1<<bits)
	for b := range runs {
		if start[b] < start[b+1] {
			runs[b] = buf[header*b+size*start[b] : header*(b+1)+size*start[b+1]]
		}
	}
	return runs
}

func bucket(key uint64, bits int) int {
	if bits == 0 {
		return 0
	}
	return int(key >> (64 - bits))
}

// owned is a claim as stored and the chunk that stored it.
type owned struct {
	entry
	n int
}

// duplicates merges the claims of an import, a bucket at a time, and
// returns by chunk and row every claim of a value that a claim of a lower
// row holds in the same column.
func duplicates(ctx context.Context, tx *sql.Tx, im Import) (map[int][]Duplicate, error) {
	out := map[int][]Duplicate{}
	// An import without unique columns has no runs: one lookup instead of
	// a query of every chunk for each bucket (a headless import announces
	// its bound, 10M rows, so 512 buckets: a tenth of its CPU, measured).
	var claimed bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM claim_runs WHERE import_id = $1)`, im.ID).Scan(&claimed); err != nil {
		return nil, fmt.Errorf("claims of import %s: %w", im.ID, err)
	}
	if !claimed {
		return out, nil
	}
	var es, scratch []owned
	for b := range 1 << bucketBits(im.ExpectedRows) {
		var err error
		if es, err = readBucket(ctx, tx, im.ID, b, es[:0]); err != nil {
			return nil, err
		}
		es, scratch = groupEntries(es, scratch)
		for i := 1; i < len(es); i++ {
			if es[i].key == es[i-1].key && es[i].col() == es[i-1].col() {
				d := Duplicate{Row: int64(es[i].colRow & (1<<rowBits - 1)), Col: es[i].col(), HadErrors: es[i].colRow&hadErrors != 0}
				out[es[i].n] = append(out[es[i].n], d)
			}
		}
	}
	for _, d := range out {
		slices.SortFunc(d, func(a, b Duplicate) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	}
	return out, nil
}

// groupEntries orders es so that entries of one key are next to one
// another, sorted by column and row (compareEntries), using scratch (of
// any length) as room; it returns the ordered entries and the other
// buffer. Finding duplicates needs no more than that: keys apart need no
// order between them. It is a radix sort on the low 16 bits of the keys
// (two passes of a byte, stable), which are a keyed hash's and so spread
// a bucket's entries over 65,536 groups of about one, then a sort of each
// group of several by compareEntries. Hand-written because
// slices.SortFunc, comparing through a function, was two thirds of the
// merge, and a radix sort of the whole keys took eight passes where two
// do; TestGroupEntries checks it against slices.SortFunc.
func groupEntries(es, scratch []owned) (grouped, spare []owned) {
	if len(es) < 2 {
		return es, scratch
	}
	scratch = slices.Grow(scratch[:0], len(es))[:len(es)]
	var counts [256]int
	for shift := 0; shift < 16; shift += 8 {
		clear(counts[:])
		for _, e := range es {
			counts[byte(e.key>>shift)]++
		}
		at := 0
		for i, c := range counts {
			counts[i] = at
			at += c
		}
		for _, e := range es {
			d := byte(e.key >> shift)
			scratch[counts[d]] = e
			counts[d]++
		}
		es, scratch = scratch, es
	}
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && uint16(es[j].key) == uint16(es[i].key) {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(es[i:j], func(a, b owned) int { return compareEntries(a.entry, b.entry) })
		}
		i = j
	}
	return es, scratch
}

// readBucket appends the claims of bucket b of every chunk of an import to
// es. Each chunk's run of the bucket is one lookup of the key (import,
// chunk, bucket), asked per chunk by the subquery on both databases (NULL
// when the chunk has no claim in the bucket), where a join may be planned
// as a scan of every run of the import.
func readBucket(ctx context.Context, tx *sql.Tx, importID string, b int, es []owned) ([]owned, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.n, c.first_row,
		(SELECT r.claims FROM claim_runs r WHERE r.import_id = c.import_id AND r.n = c.n AND r.bucket = $2)
		FROM chunks c WHERE c.import_id = $1`, importID, b)
	if err != nil {
		return nil, fmt.Errorf("claims of bucket %d: %w", b, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var firstRow int64
		var raw sql.RawBytes // decoded before the next row: no copy kept
		if err := rows.Scan(&n, &firstRow, &raw); err != nil {
			return nil, fmt.Errorf("claims of bucket %d: %w", b, err)
		}
		if es, err = appendRun(es, n, firstRow, raw); err != nil {
			return nil, fmt.Errorf("claims of chunk %d bucket %d: %w", n, b, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claims of bucket %d: %w", b, err)
	}
	return es, nil
}

// appendRun appends the claims of a run of chunk n, whose rows start at
// firstRow, to es, in either layout.
func appendRun(es []owned, n int, firstRow int64, raw []byte) ([]owned, error) {
	if len(raw)%claimSize == 0 {
		for i := 0; i < len(raw); i += claimSize {
			es = append(es, owned{entry{binary.BigEndian.Uint64(raw[i:]), binary.BigEndian.Uint64(raw[i+8:])}, n})
		}
		return es, nil
	}
	if len(raw)%compactSize != 1 || raw[0] != compactFormat {
		return es, fmt.Errorf("%d bytes in no layout", len(raw))
	}
	for i := 1; i < len(raw); i += compactSize {
		v := binary.BigEndian.Uint32(raw[i+8:])
		colRow := uint64(v>>compactRowBits&(1<<compactColBits-1))<<rowBits | uint64(firstRow+int64(v&(1<<compactRowBits-1)))
		if v&(1<<31) != 0 {
			colRow |= hadErrors
		}
		es = append(es, owned{entry{binary.BigEndian.Uint64(raw[i:]), colRow}, n})
	}
	return es, nil
}

// resolveDuplicates merges the import's claims and, when rows hold values
// of rows before them, has hook record them in their chunks; it returns
// how many more rows have errors now.
func (s *Store) resolveDuplicates(ctx context.Context, tx *sql.Tx, im Import, hook DuplicatesHook) (int64, error) {
	found, err := duplicates(ctx, tx, im)
	if err != nil || len(found) == 0 {
		return 0, err
	}
	if hook == nil {
		return 0, fmt.Errorf("import %s: %d chunks hold duplicates and nothing records them", im.ID, len(found))
	}
	ns := slices.Sorted(func(yield func(int) bool) {
		for n := range found {
			if !yield(n) {
				return
			}
		}
	})
	in := make([]ChunkDuplicates, len(ns))
	for i, n := range ns {
		c, err := scanChunk(tx.QueryRowContext(ctx, `SELECT `+chunkColumns+` FROM chunks WHERE import_id = $1 AND n = $2`, im.ID, n))
		if err != nil {
			return 0, fmt.Errorf("chunk %d of duplicates: %w", n, err)
		}
		in[i] = ChunkDuplicates{Chunk: c, Rows: found[n]}
	}
	overlays, err := hook(ctx, im, in)
	if err != nil {
		return 0, err
	}
	if len(overlays) != len(in) {
		return 0, fmt.Errorf("import %s: %d chunks with duplicates, %d recorded", im.ID, len(in), len(overlays))
	}
	var more, overlayBytes int64
	for i, f := range in {
		c := f.Chunk
		if c.ErrorColumns == nil {
			c.ErrorColumns = map[string]int{}
		}
		newRows := map[int64]bool{}
		for _, d := range f.Rows {
			if d.Col < 0 || d.Col >= len(im.RowColumns) {
				return 0, fmt.Errorf("duplicates of chunk %d: column %d, the import has %d", c.N, d.Col, len(im.RowColumns))
			}
			c.ErrorColumns[im.RowColumns[d.Col]]++
			if !d.HadErrors {
				newRows[d.Row] = true
			}
		}
		cols, _ := json.Marshal(c.ErrorColumns)
		if _, err := tx.ExecContext(ctx, `UPDATE chunks SET rows_with_errors = rows_with_errors + $1, error_columns = $2, duplicates = $3
			WHERE import_id = $4 AND n = $5`, len(newRows), string(cols), overlays[i], im.ID, c.N); err != nil {
			return 0, fmt.Errorf("record duplicates of chunk %d: %w", c.N, err)
		}
		more += int64(len(newRows))
		overlayBytes += int64(len(overlays[i]))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE imports SET rows_with_errors = rows_with_errors + $1, bytes_stored = bytes_stored + $2 WHERE id = $3`,
		more, overlayBytes, im.ID); err != nil {
		return 0, fmt.Errorf("count duplicates: %w", err)
	}
	return more, nil
}
