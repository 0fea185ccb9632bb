package ingest

import (
	"context"
	"fmt"
	"iter"

	"github.com/intakehq/intake/internal/deliver"
	"github.com/intakehq/intake/internal/store"
)

// Batches yields the stored rows of an import in batches of size rows,
// from batch index from on: batch i holds rows [i*size, (i+1)*size) of the
// import, whatever the chunk boundaries, so a resumed delivery sends the
// same batches under the same ids. It is what delivery jobs read.
//
// The chunk list is read once, before the first batch; afterwards only the
// blob store is read, so no database connection is held while the consumer
// works on a batch (the delivery worker records attempts meanwhile, and
// SQLite has one writer). It yields ErrUnreadable when the rows are gone.
func (s *Service) Batches(ctx context.Context, importID string, size, from int) iter.Seq2[deliver.Batch, error] {
	return func(yield func(deliver.Batch, error) bool) {
		if size < 1 || from < 0 {
			yield(deliver.Batch{}, fmt.Errorf("import %s: batch size %d from %d: invalid", importID, size, from))
			return
		}
		im, err := s.o.Store.ImportByID(ctx, importID)
		if err != nil {
			yield(deliver.Batch{}, err)
			return
		}
		if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
			yield(deliver.Batch{}, fmt.Errorf("import %s: %w", importID, ErrUnreadable))
			return
		}
		chunks, err := s.o.Store.Chunks(ctx, importID)
		if err != nil {
			yield(deliver.Batch{}, err)
			return
		}
		key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
		if err != nil {
			yield(deliver.Batch{}, fmt.Errorf("import %s: %w: %w", importID, ErrUnreadable, err))
			return
		}
		start := int64(from) * int64(size)
		b := deliver.Batch{Index: from, FirstRow: int(start), Rows: make([][]*string, 0, size)}
		var bufs chunkBuffers
		var pos int64
		for _, c := range chunks {
			end := pos + int64(c.Rows)
			if end <= start || c.BlobKey == "" {
				pos = end
				continue
			}
			rows, err := s.openChunkRows(ctx, key, c, &bufs)
			if err != nil {
				yield(deliver.Batch{}, err)
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
				b = deliver.Batch{Index: b.Index + 1, FirstRow: b.FirstRow + size, Rows: make([][]*string, 0, size)}
			}
		}
		if len(b.Rows) > 0 {
			yield(b, nil)
		}
	}
}
