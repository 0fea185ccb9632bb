package rows

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/intakehq/intake/internal/store"
)

// Batch is a numbered slice of an import's rows, the unit a delivery reads
// and a webhook sends and acknowledges. Rows hold one cell per column of the
// import's row columns; a nil cell is an empty or absent value.
type Batch struct {
	// Index is the batch's position in the delivery, from 0.
	Index int
	// FirstRow is the position of Rows[0] in the import, from 0.
	FirstRow int
	// Rows are the batch's rows, in import order.
	Rows [][]*string
	// Ciphertext is, for an end-to-end encrypted import, the age file of
	// the batch's rows (one chunk as the browser sealed it; Rows is nil),
	// and Count the rows in it.
	Ciphertext []byte
	Count      int
}

// errStop ends a read when the consumer of Batches stops.
var errStop = errors.New("stopped by the consumer")

// Batches yields the stored rows of an import in batches of size rows,
// from batch index from on: batch i holds rows [i*size, (i+1)*size) of the
// import, whatever the chunk boundaries, so a resumed delivery sends the
// same batches under the same ids. It is what delivery jobs read.
//
// The chunk list is read once, before the first batch; afterwards only the
// blob store is read, so no database connection is held while the consumer
// works on a batch (the delivery worker records attempts meanwhile, and
// SQLite has one writer). It yields ErrUnreadable when the rows are gone.
func (r *Reader) Batches(ctx context.Context, importID string, size, from int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if size < 1 || from < 0 {
			yield(Batch{}, fmt.Errorf("import %s: batch size %d from %d: invalid", importID, size, from))
			return
		}
		im, err := r.store.ImportByID(ctx, importID)
		if err != nil {
			yield(Batch{}, err)
			return
		}
		if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
			yield(Batch{}, fmt.Errorf("import %s: %w", importID, ErrUnreadable))
			return
		}
		chunks, err := r.store.Chunks(ctx, importID)
		if err != nil {
			yield(Batch{}, err)
			return
		}
		if len(im.Recipients) > 0 {
			// Ciphertext cannot be cut into batches of size rows: each
			// chunk is one batch, whatever the size.
			e := &Export{r: r, im: im, chunks: chunks[min(from, len(chunks)):]}
			i := from
			err := e.Ciphertexts(ctx, func(c store.Chunk, ct []byte) error {
				if !yield(Batch{Index: i, FirstRow: int(c.FirstRow), Ciphertext: slices.Clone(ct), Count: c.Rows}, nil) {
					return errStop
				}
				i++
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				yield(Batch{}, err)
			}
			return
		}
		key, err := r.vault.DataKey(ctx, im.ID, im.WrappedKey)
		if err != nil {
			yield(Batch{}, fmt.Errorf("import %s: %w: %w", importID, ErrUnreadable, err))
			return
		}
		start := int64(from) * int64(size)
		b := Batch{Index: from, FirstRow: int(start), Rows: make([][]*string, 0, size)}
		var bufs chunkBuffers
		var pos int64
		for _, c := range chunks {
			end := pos + int64(c.Rows)
			if end <= start || c.BlobKey == "" {
				pos = end
				continue
			}
			rows, err := r.openChunkRows(ctx, key, c, &bufs)
			if err != nil {
				yield(Batch{}, err)
				return
			}
			if pos < start {
				rows = rows[start-pos:]
			}
			pos = end
			for len(rows) > 0 {
				n := min(size-len(b.Rows), len(rows))
				b.Rows = append(b.Rows, rows[:n]...)
				rows = rows[n:]
				if len(b.Rows) < size {
					continue
				}
				if !yield(b, nil) {
					return
				}
				b = Batch{Index: b.Index + 1, FirstRow: b.FirstRow + size, Rows: make([][]*string, 0, size)}
			}
		}
		if len(b.Rows) > 0 {
			yield(b, nil)
		}
	}
}
