package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strings"
	"unicode/utf8"
)

// PutRows takes chunk n of an import as rows already in memory, in the
// import's column order (nil is an empty cell), for a caller in this
// process — the server's own file imports — which would otherwise encode
// each chunk as JSON for PutChunk to decode again (a fifth of a file
// import's cost). From there on the chunk takes PutChunk's path: the same
// checks, validation, sealing and answers.
//
// A retry is recognised by a hash of the rows (their cells, each framed by
// its length), not of a JSON body: a chunk first sent through PutChunk and
// then through PutRows is a conflict even with the same rows. The rows are
// not kept after PutRows returns. Cells that are not valid UTF-8 have each
// invalid byte replaced by U+FFFD, as PutChunk's decoder does.
func (s *Service) PutRows(ctx context.Context, importID, token string, n int, firstRow int64, rows [][]*string) (res ChunkResult, err error) {
	start := s.o.Now()
	defer func() { s.o.Metrics.observeChunk(start, res, err) }()
	im, err := s.uploading(ctx, importID, token, n)
	if err != nil {
		return res, err
	}
	width := len(im.Columns)
	if maxRows := s.maxRows(width); len(rows) > maxRows {
		return res, s.tooManyRows(n, maxRows)
	}
	if firstRow < 0 || firstRow > maxFirstRow {
		return res, errorf(KindInvalid, "malformed_chunk", "chunk %d: first_row must be from 0 to %d", n, int64(maxFirstRow))
	}
	sc := getScratch()
	recycle := true
	defer func() {
		if recycle {
			sc.release()
		}
	}()
	// The rows are the caller's; the budget holds what the chunk grows to
	// here: its hashed form, validated table and sealed rows.
	var cells int64
	for r, row := range rows {
		if len(row) != width {
			return res, errorf(KindInvalid, "malformed_chunk", "chunk %d: rows[%d]: a row must have %d values", n, r, width)
		}
		for _, c := range row {
			if c != nil {
				cells += int64(len(*c))
			}
		}
	}
	mem := s.memory.hold(ctx)
	defer mem.release()
	if err := mem.growTo(3*cells + int64(len(rows))*(int64(width)*cellCost+rowCost)); err != nil {
		return res, busy(n, err)
	}
	if sc.sha == nil {
		sc.sha = sha256.New()
	}
	var sum []byte
	var valid bool
	sc.body, sum, valid = hashRows(sc.sha, sc.body, firstRow, rows)
	return s.accept(ctx, im, n, sum, sc, &recycle, func() (ChunkBody, error) {
		if !valid {
			rows = replaceInvalidRows(rows, &sc.dec)
		}
		return ChunkBody{FirstRow: firstRow, Rows: rows}, nil
	})
}

// hashRows returns the SHA-256 of what PutRows hashes: first_row, then each
// cell as its length plus one (0 for an empty cell) and its bytes, so that
// no two chunks frame alike. It also reports whether every cell is valid
// UTF-8. The frame goes to h through buf (returned for reuse) a few
// kilobytes at a time, so that SHA-256 and the UTF-8 check read it from the
// processor's cache, and the check takes a block of the frame at once
// (framedValid) rather than a call a cell.
func hashRows(h hash.Hash, buf []byte, firstRow int64, rows [][]*string) ([]byte, []byte, bool) {
	const flushAt = 16 << 10
	h.Reset()
	valid := true
	buf = binary.AppendUvarint(buf[:0], uint64(firstRow))
	from, long := len(buf), false // the block's cells start at from; long: a length took two bytes or more
	for _, row := range rows {
		for _, c := range row {
			if c == nil {
				buf = append(buf, 0)
				continue
			}
			n := uint64(len(*c)) + 1
			long = long || n >= utf8.RuneSelf
			buf = binary.AppendUvarint(buf, n)
			buf = append(buf, *c...)
		}
		if len(buf) >= flushAt {
			valid = valid && framedValid(buf[from:], long)
			h.Write(buf)
			buf, from, long = buf[:0], 0, false
		}
	}
	valid = valid && framedValid(buf[from:], long)
	h.Write(buf)
	return buf, h.Sum(nil), valid
}

// framedValid reports whether every cell of a block of hashRows' frame is
// valid UTF-8. When every length in it took one byte (short is !long), all
// that separates the cells is ASCII — lengths below 0x80 and 0 for an
// empty cell — and no multi-byte character can span an ASCII byte, so the
// block is valid exactly when each cell is: one utf8.Valid over it all.
// Otherwise the block is walked cell by cell, since a length's bytes from
// 0x80 could complete a character the cell before it left open.
func framedValid(block []byte, long bool) bool {
	if !long {
		return utf8.Valid(block)
	}
	for i := 0; i < len(block); {
		n, k := binary.Uvarint(block[i:])
		i += k
		if n == 0 {
			continue
		}
		end := i + int(n-1)
		if !utf8.Valid(block[i:end]) {
			return false
		}
		i = end
	}
	return true
}

// replaceInvalidRows copies rows into t with each byte of a cell that is
// not valid UTF-8 as U+FFFD.
func replaceInvalidRows(rows [][]*string, t *cellTable) [][]*string {
	width := len(rows[0])
	t.cells = grow(t.cells, len(rows)*width)
	t.ptrs = grow(t.ptrs, len(rows)*width)
	t.rows = grow(t.rows, len(rows))
	for r, row := range rows {
		out := t.ptrs[r*width : (r+1)*width : (r+1)*width]
		for i, c := range row {
			out[i] = nil
			if c != nil {
				t.cells[r*width+i] = replaceInvalid(*c)
				out[i] = &t.cells[r*width+i]
			}
		}
		t.rows[r] = out
	}
	return t.rows
}

// replaceInvalid replaces each byte of s that is not part of valid UTF-8
// with U+FFFD, as encoding/json (and so the widget's chunks) would.
func replaceInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
