package ingest

import (
	"cmp"
	"context"
	"encoding/binary"
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
// then a duplicate, whatever order the chunks came in: the chunk gets a
// sealed overlay of its duplicates, which readers merge into its errors, and the import's
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
//
// The values seen are an open-addressing table of their keyed hashes rather
// than a Go map: the hash is already a PRF of the value, so its low bits
// are the slot, with nothing to hash again (the map's hashing and probing
// were nine tenths of claiming), and no one who lacks the key can pick
// values that crowd one run of slots.
type chunkClaims struct {
	k0, k1 uint64
	slots  []claimSlot // a power of two, at most half full
	claims []store.Claim
}

// claimSlot is a value seen, in 8 bytes: the high 32 bits of its keyed
// hash (the low bits chose the slot) and, plus one (0 is an empty slot), the
// index of its claim, which holds the whole hash and the column. Half the
// size of a slot holding them all: the table of a chunk's 10,000 values is
// 256 KiB, and looking a value up in it, a cache miss, was most of claiming.
type claimSlot uint64

func newSlot(key uint64, idx int) claimSlot { return claimSlot(key>>32<<32 | uint64(idx)) }

func (s claimSlot) idx() int { return int(uint32(s)) }

// newChunkClaims makes room for values claims: growing the table and the
// claims as a chunk is validated was a quarter of claiming. slots and
// claims are reused: slots when it is the size, claims when it has room.
func newChunkClaims(key *vault.DataKey, values int, slots []claimSlot, claims []store.Claim) *chunkClaims {
	ck := key.ClaimsKey()
	return &chunkClaims{k0: binary.LittleEndian.Uint64(ck[:8]), k1: binary.LittleEndian.Uint64(ck[8:16]),
		slots: claimSlots(slots, values), claims: slices.Grow(claims[:0], values)}
}

// claimSlots returns an empty table for values, s cleared if it is the size.
func claimSlots(s []claimSlot, values int) []claimSlot {
	n := 16
	for n < 2*values {
		n *= 2
	}
	if len(s) != n {
		return make([]claimSlot, n)
	}
	clear(s)
	return s
}

func (u *chunkClaims) Claim(column int, value string, row int) (int, bool) {
	// The hash only reads the bytes: no copy of the value is made.
	key := siphash.Hash(u.k0, u.k1, unsafe.Slice(unsafe.StringData(value), len(value)))
	if 2*(len(u.claims)+1) > len(u.slots) {
		u.grow()
	}
	mask, tag := uint64(len(u.slots)-1), key>>32
	for i := key & mask; ; i = (i + 1) & mask {
		s := u.slots[i]
		if s == 0 {
			u.claims = append(u.claims, store.Claim{Key: key, Col: column, Row: int64(row)})
			u.slots[i] = newSlot(key, len(u.claims))
			return row, false
		}
		if uint64(s)>>32 == tag {
			// The same high bits: the claim tells whether it is the value.
			if c := &u.claims[s.idx()-1]; c.Key == key && c.Col == column {
				return int(c.Row), true
			}
		}
	}
}

// grow doubles the table (a chunk with more values than it was sized for).
func (u *chunkClaims) grow() {
	u.slots = make([]claimSlot, 2*max(len(u.slots), 8))
	mask := uint64(len(u.slots) - 1)
	for n, c := range u.claims {
		i := c.Key & mask
		for u.slots[i] != 0 {
			i = (i + 1) & mask
		}
		u.slots[i] = newSlot(c.Key, n+1)
	}
}

// duplicates is the store hook that records the duplicates found when an
// import of importer completes: each chunk holding some gets a sealed
// overlay of them (rows.SealDuplicates), merged into its errors by readers,
// so no chunk is read or sealed again.
func (s *Service) duplicates(importer store.Importer) store.DuplicatesHook {
	return func(ctx context.Context, im store.Import, found []store.ChunkDuplicates) ([][]byte, error) {
		if !importer.AllowInvalid {
			return nil, duplicateRows(im, found)
		}
		key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(found))
		for i, f := range found {
			if out[i], err = rows.SealDuplicates(key, f.Chunk, f.Rows, len(im.RowColumns)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
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
