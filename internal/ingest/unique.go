package ingest

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	"github.com/dchest/siphash"

	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/validate"
	"github.com/intakehq/intake/internal/vault"
)

// Unique columns. The template engine finds the duplicates inside a chunk
// as it validates it (the first row holding a value keeps it); the values
// a chunk holds first are stored with it as claims, keyed hashes, and the
// claims of every chunk are merged when the import completes (store's
// Claim). A row holding the value of a row before it in another chunk is
// then a duplicate, whatever order the chunks came in: the chunk's sealed
// rows are sealed again with the duplicate errors added, and the import's
// counts, the completion's answer and its import-log event count them. A
// chunk's own answer (ChunkResult) and its chunk.stored event count only
// what was known when it was stored. An importer that refuses invalid rows
// refuses the completion instead, naming the duplicates.
//
// A claim's key is SipHash-2-4 of the normalised value, keyed with the
// first 16 bytes of the data key's claims key (HKDF of the data key): a
// PRF made for short inputs, 20 ns a value where HMAC-SHA256 took 160 ns,
// and as meaningless as the HMAC once the data key is shredded.

// chunkClaims answers the engine's uniqueness questions inside one chunk and
// keeps the values the chunk holds first, as claims. Values are compared by
// their keyed hash, as the claims of different chunks are: two distinct
// values of one column collide with probability about n²/2⁶⁵ (3·10⁻⁸ at a
// million values), a false duplicate error, never a lost or merged row.
type chunkClaims struct {
	k0, k1 uint64
	seen   map[claimKey]int
	claims []store.Claim
}

type claimKey struct {
	col int
	key uint64
}

func newChunkClaims(key *vault.DataKey) *chunkClaims {
	ck := key.ClaimsKey()
	return &chunkClaims{k0: binary.LittleEndian.Uint64(ck[:8]), k1: binary.LittleEndian.Uint64(ck[8:16])}
}

func (u *chunkClaims) Claim(column int, value string, row int) (int, bool) {
	// The hash only reads the bytes: no copy of the value is made.
	k := claimKey{column, siphash.Hash(u.k0, u.k1, unsafe.Slice(unsafe.StringData(value), len(value)))}
	if u.seen == nil {
		u.seen = make(map[claimKey]int, 1024)
	}
	if first, ok := u.seen[k]; ok {
		return first, true
	}
	u.seen[k] = row
	u.claims = append(u.claims, store.Claim{Key: k.key, Col: column, Row: int64(row)})
	return row, false
}

// duplicates is the store hook that records the duplicates found when an
// import of importer completes, and the blob keys it replaced: to delete
// once the completion has committed (until then they are the chunks').
func (s *Service) duplicates(importer store.Importer) (store.DuplicatesHook, *[]string) {
	replaced := new([]string)
	return func(ctx context.Context, im store.Import, found []store.ChunkDuplicates) ([]store.Chunk, error) {
		*replaced = (*replaced)[:0]
		if !importer.AllowInvalid {
			return nil, duplicateRows(im, found)
		}
		key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
		if err != nil {
			return nil, err
		}
		out := make([]store.Chunk, len(found))
		for i, f := range found {
			if out[i], err = s.addDuplicates(ctx, im, key, f); err != nil {
				return nil, err
			}
			*replaced = append(*replaced, f.Chunk.BlobKey)
		}
		return out, nil
	}, replaced
}

// addDuplicates seals chunk f.Chunk again with its duplicates added to its
// errors, under a blob key of its own: the blob it replaces is still the
// chunk's until the completion commits (retention deletes whatever blob an
// import leaves behind, by prefix).
func (s *Service) addDuplicates(ctx context.Context, im store.Import, key *vault.DataKey, f store.ChunkDuplicates) (store.Chunk, error) {
	c := f.Chunk
	sealed, err := s.o.Bucket.ReadAll(ctx, c.BlobKey)
	if err != nil {
		return c, fmt.Errorf("duplicates of chunk %d: read: %w", c.N, err)
	}
	plain, err := key.Open(nil, vault.PurposeChunk, int64(c.N), sealed)
	if err != nil {
		return c, fmt.Errorf("duplicates of chunk %d: open: %w", c.N, err)
	}
	width, rs, errs, blanks, err := rows.Decode(plain)
	if err != nil {
		return c, fmt.Errorf("duplicates of chunk %d: %w", c.N, err)
	}
	if width != len(im.RowColumns) {
		// Errors are counted by the import's columns: a chunk of another
		// width (its importer's template changed during the upload)
		// cannot be named by them.
		return c, fmt.Errorf("duplicates of chunk %d: %d columns, the import has %d", c.N, width, len(im.RowColumns))
	}
	for _, d := range f.Rows {
		// Rows are numbered as sent; errors name the row among those
		// kept, the blank rows dropped from the chunk left out.
		off := int(d.Row - c.FirstRow)
		kept := off - countBelow(blanks, off)
		if kept < 0 || kept >= len(rs) || d.Col >= width {
			return c, fmt.Errorf("duplicates of chunk %d: row %d column %d is not in it", c.N, d.Row, d.Col)
		}
		errs = append(errs, rows.StoredError{Row: kept, Col: d.Col, Code: validate.CodeDuplicate})
	}
	slices.SortFunc(errs, func(a, b rows.StoredError) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	buf := rows.Encode(make([]byte, vault.NonceSize), width, rs, errs, blanks)
	resealed := key.Seal(slices.Grow(buf, vault.TagSize)[:0], vault.PurposeChunk, int64(c.N), buf[vault.NonceSize:])
	c.BlobKey += "-dup"
	if err := writeBlob(ctx, s.o.Bucket, c.BlobKey, resealed); err != nil {
		return c, fmt.Errorf("duplicates of chunk %d: write: %w", c.N, err)
	}
	c.SealedBytes = int64(len(resealed))
	c.RowsWithErrors, c.ErrorColumns = summarize(errs, im.RowColumns)
	return c, nil
}

// countBelow counts the sorted offsets below off.
func countBelow(sorted []int, off int) int {
	i, _ := slices.BinarySearch(sorted, off)
	return i
}

// duplicateRows is the refusal of a completion whose rows hold values of
// unique columns that rows before them hold, named by row as sent.
func duplicateRows(im store.Import, found []store.ChunkDuplicates) *Error {
	e := errorf(KindInvalidRows, "invalid_rows", "rows hold values of unique columns that rows before them, in other chunks, hold")
	var all []store.Duplicate
	for _, f := range found {
		all = append(all, f.Rows...)
	}
	slices.SortFunc(all, func(a, b store.Duplicate) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	for _, d := range all[:min(len(all), maxDetails)] {
		e.Details = append(e.Details, rows.CellError{Row: d.Row, Column: im.RowColumns[d.Col], Code: validate.CodeDuplicate})
	}
	return e
}
