package rows

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/validate"
	"github.com/intakehq/intake/internal/vault"
)

// A chunk's duplicates overlay (store's Chunk.Duplicates) holds the rows of
// the chunk found, when its import completed, to hold a value of a unique
// column that a row before them in another chunk holds. It is merged into
// the chunk's errors as they are read (openChunk), so the chunk itself is
// never sealed again. Its plaintext:
//
//	"IKD1" uvarint(pairs); per pair: uvarint(row offset in the chunk as sent) uvarint(column)
//
// The offsets are those of the chunk as sent, blank rows included: the
// reader maps them to the stored rows as it maps the blank rows'.
const duplicatesMagic = "IKD1"

// SealDuplicates seals the duplicates of chunk c (rows numbered in the
// import as sent) as its overlay, under key.
func SealDuplicates(key *vault.DataKey, c store.Chunk, ds []store.Duplicate, width int) ([]byte, error) {
	buf := append(make([]byte, vault.NonceSize, vault.NonceSize+len(duplicatesMagic)+4*len(ds)+vault.TagSize), duplicatesMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(ds)))
	sent := int64(c.Rows + c.RowsSkipped)
	for _, d := range ds {
		off := d.Row - c.FirstRow
		if off < 0 || off >= sent || d.Col < 0 || d.Col >= width {
			return nil, fmt.Errorf("duplicates of chunk %d: row %d column %d is not in it", c.N, d.Row, d.Col)
		}
		buf = binary.AppendUvarint(buf, uint64(off))
		buf = binary.AppendUvarint(buf, uint64(d.Col))
	}
	return key.Seal(buf[:0], vault.PurposeDuplicates, int64(c.N), buf[vault.NonceSize:]), nil
}

// withDuplicates opens chunk c's overlay, if it has one, and returns errs
// with its duplicates added (rows numbered among the stored rows, as errs
// are), sorted by row and column. It is what every reader of a chunk's
// errors goes through (openChunk).
func withDuplicates(key *vault.DataKey, c store.Chunk, rows int, errs []StoredError, blanks []int) ([]StoredError, error) {
	if len(c.Duplicates) == 0 {
		return errs, nil
	}
	plain, err := key.Open(nil, vault.PurposeDuplicates, int64(c.N), c.Duplicates)
	if err != nil {
		return nil, fmt.Errorf("open duplicates of chunk %d: %w", c.N, err)
	}
	if len(plain) < len(duplicatesMagic) || string(plain[:len(duplicatesMagic)]) != duplicatesMagic {
		return nil, fmt.Errorf("duplicates of chunk %d: %w", c.N, errCorrupt)
	}
	b := plain[len(duplicatesMagic):]
	next := func() (int, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<31 {
			return 0, false
		}
		b = b[n:]
		return int(v), true
	}
	count, ok := next()
	if !ok {
		return nil, fmt.Errorf("duplicates of chunk %d: %w", c.N, errCorrupt)
	}
	for range count {
		off, ok1 := next()
		col, ok2 := next()
		// Rows are numbered among those kept, the blank rows left out.
		i, blank := slices.BinarySearch(blanks, off)
		row := off - i
		if !ok1 || !ok2 || blank || row >= rows {
			return nil, fmt.Errorf("duplicates of chunk %d: %w", c.N, errCorrupt)
		}
		errs = append(errs, StoredError{Row: row, Col: col, Code: validate.CodeDuplicate})
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("duplicates of chunk %d: %w", c.N, errCorrupt)
	}
	slices.SortStableFunc(errs, func(a, b StoredError) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	return errs, nil
}
