package rows

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/intakehq/intake/internal/vault"

	"github.com/intakehq/intake/internal/store"
)

// Export is an import opened for a full read (a download): its columns and
// chunk list are known before the first byte is written, so a handler can
// still answer 404 or 410 with a proper status.
type Export struct {
	r       *Reader
	im      store.Import
	chunks  []store.Chunk
	Columns []string
	// Rows is the number of stored rows.
	Rows int64
}

// OpenExport prepares a read of every row of an import of orgID. It fails
// with ErrUnreadable when the rows are gone or were never stored.
func (r *Reader) OpenExport(ctx context.Context, orgID, importID string) (*Export, error) {
	im, err := r.store.Import(ctx, orgID, importID)
	if err != nil {
		return nil, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return nil, fmt.Errorf("import %s: %w", importID, ErrUnreadable)
	}
	chunks, err := r.store.Chunks(ctx, importID)
	if err != nil {
		return nil, err
	}
	e := &Export{r: r, im: im, chunks: chunks, Columns: im.RowColumns}
	for _, c := range chunks {
		e.Rows += int64(c.Rows)
	}
	return e, nil
}

// Each calls fn with the rows of every stored chunk, in row order. It reads
// the next chunk while fn handles the current one, so decryption and writing
// overlap, and holds at most three chunks in memory, in buffers it reuses:
// fn must not keep rows (or their cell pointers) after it returns.
func (e *Export) Each(ctx context.Context, fn func(rows [][]*string) error) error {
	if len(e.chunks) == 0 {
		return nil
	}
	key, err := e.r.vault.DataKey(ctx, e.im.ID, e.im.WrappedKey)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type opened struct {
		rows [][]*string
		err  error
	}
	next := make(chan opened, 1)
	go func() {
		defer close(next)
		// Three row buffers rotate: fn holds one, the channel one, and the
		// third is filled; a buffer is refilled only after the send of the
		// next one went through, that is once fn is done with it.
		var bufs chunkBuffers
		var sets [3]rowBuffers
		for i, c := range e.chunks {
			if c.BlobKey == "" {
				continue
			}
			rows, err := e.r.openChunkInto(ctx, key, c, &bufs, &sets[i%len(sets)])
			select {
			case next <- opened{rows, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for o := range next {
		if o.err != nil {
			return o.err
		}
		if err := fn(o.rows); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// openChunkRows reads and decrypts one chunk, skipping its stored errors,
// into rows of its own (the caller may keep them). It makes one allocation
// per chunk for the cells instead of two per cell: every cell is a substring
// of one copy of the plaintext, pointed to from one slab.
func (r *Reader) openChunkRows(ctx context.Context, key *vault.DataKey, c store.Chunk, bufs *chunkBuffers) ([][]*string, error) {
	return r.openChunkInto(ctx, key, c, bufs, &rowBuffers{})
}

// openChunkInto is openChunkRows decoding into rb, whose slab and pointers
// are reused from chunk to chunk by an export: a download of a million rows
// then spends its time writing, not collecting garbage.
func (r *Reader) openChunkInto(ctx context.Context, key *vault.DataKey, c store.Chunk, bufs *chunkBuffers, rb *rowBuffers) ([][]*string, error) {
	br, err := r.bucket.NewReader(ctx, c.BlobKey, nil)
	if err != nil {
		return nil, fmt.Errorf("read chunk %d: %w", c.N, err)
	}
	defer br.Close()
	if br.Size() < 0 || br.Size() > 1<<31 {
		return nil, fmt.Errorf("read chunk %d: size %d: %w", c.N, br.Size(), errCorrupt)
	}
	bufs.sealed = slices.Grow(bufs.sealed[:0], int(br.Size()))[:br.Size()]
	if _, err := io.ReadFull(br, bufs.sealed); err != nil {
		return nil, fmt.Errorf("read chunk %d: %w", c.N, err)
	}
	plain, err := key.Open(bufs.plain[:0], vault.PurposeChunk, int64(c.N), bufs.sealed)
	if err != nil {
		return nil, fmt.Errorf("open chunk %d: %w", c.N, err)
	}
	bufs.plain = plain
	rows, err := decodeCells(plain, rb)
	if err != nil {
		return nil, fmt.Errorf("decode chunk %d: %w", c.N, err)
	}
	return rows, nil
}

// chunkBuffers are reused from chunk to chunk by one reader: the sealed
// bytes and the plaintext are dead once decodeCells has copied the cells out.
type chunkBuffers struct {
	sealed, plain []byte
}

// rowBuffers hold one decoded chunk: cells as strings, pointers to them
// (nil for null), and the rows slicing the pointers.
type rowBuffers struct {
	slab  []string
	cells []*string
	rows  [][]*string
}

// decodeCells reads the rows of what Encode wrote into rb, ignoring the
// errors that follow them.
func decodeCells(b []byte, rb *rowBuffers) ([][]*string, error) {
	if ok, _ := hasRowsMagic(b); !ok {
		return nil, errCorrupt
	}
	all := string(b)
	r := &reader{b: b, i: len(rowsMagic)}
	w, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	n, err := r.uvarint()
	if err != nil || w == 0 || w > 1<<16 || n*w > uint64(len(b)) {
		return nil, errCorrupt
	}
	width := int(w)
	slab := slices.Grow(rb.slab[:0], int(n)*width)[:int(n)*width]
	cells := slices.Grow(rb.cells[:0], len(slab))[:len(slab)]
	rb.slab, rb.cells = slab, cells
	for i := range cells {
		l, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if l == 0 {
			cells[i] = nil
			continue
		}
		if l-1 > uint64(len(b)-r.i) {
			return nil, errCorrupt
		}
		slab[i] = all[r.i : r.i+int(l-1)]
		r.i += int(l - 1)
		cells[i] = &slab[i]
	}
	rows := slices.Grow(rb.rows[:0], int(n))[:n]
	rb.rows = rows
	for i := range rows {
		rows[i] = cells[i*width : (i+1)*width : (i+1)*width]
	}
	return rows, nil
}
