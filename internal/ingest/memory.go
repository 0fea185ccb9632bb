package ingest

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/semaphore"
)

// memoryBudget is the working memory that all the chunks being taken at once
// may hold together. Anyone holding an upload token can send chunks, so a
// chunk's cost must not depend on trust: before it inflates or decodes a
// chunk, PutChunk reserves an upper bound of what that chunk will hold
// (chunkCost), and a chunk that cannot get its share within wait is refused
// with 429 rather than queued without bound. The body as sent is read before
// the reservation: it costs what the client sent, byte for byte, and is
// bounded by MaxChunkBytes.
type memoryBudget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newMemoryBudget(size int64, wait time.Duration) *memoryBudget {
	return &memoryBudget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// errBusy means the budget stayed full for the whole wait.
var errBusy = errors.New("decode memory budget exhausted")

// reserve takes n bytes of the budget, waiting at most b.wait, and returns
// what it took (to give back with release). A chunk that would need more
// than the whole budget takes all of it and so runs alone.
func (b *memoryBudget) reserve(ctx context.Context, n int64) (int64, error) {
	n = min(max(n, 1), b.size)
	if b.sem.TryAcquire(n) {
		return n, nil
	}
	wctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err() // the client went away
		}
		return 0, errBusy
	}
	return n, nil
}

func (b *memoryBudget) release(n int64) {
	if n > 0 {
		b.sem.Release(n)
	}
}

// What decoding and validating a chunk holds per cell and per row, beyond
// its bytes: the decoded string header and its pointer, the validated
// pointer, and the allocation of a string with escapes, an error or a
// unique claim (per cell); the two row slices, the map to rows as sent and
// slack (per row).
const (
	cellCost = 56
	rowCost  = 64
)

// chunkCost bounds the working memory of a chunk of width columns: the body
// as sent (raw bytes), its inflated form (inflated bytes, 0 when it was not
// compressed), the sealed rows and the strings unescaped from the JSON (each
// at most the size of the JSON), and the cell tables of at most maxRows
// rows. The rows are bounded by the JSON's size too: a row of width cells
// takes at least 3·width+1 bytes (`["",""]`), the bound the decoder sizes
// its arrays by when it cannot count the rows.
func chunkCost(raw, inflated int64, width, maxRows int) int64 {
	body := raw
	if inflated > 0 {
		body = inflated
	}
	width = max(width, 1)
	rows := min(int64(maxRows), body/int64(3*width+1)+1)
	return raw + inflated + 2*body + rows*(int64(width)*cellCost+rowCost)
}
