package ingest

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// memoryBudget is the working memory that all the chunks being taken at once
// may hold together. Anyone holding an upload token can send chunks, so a
// chunk's cost must not depend on trust: before it inflates or decodes a
// chunk, PutChunk reserves an upper bound of what that chunk will hold
// (chunkCost), and a chunk that cannot get its share within wait is refused
// with 429 rather than queued without bound. The body as sent is read before
// the reservation: it costs what the client sent, byte for byte, and is
// bounded by MaxChunkBytes.
//
// It is not first come, first served: a reservation that fits takes what is
// free even while a larger one waits, so that chunks of ordinary size keep
// flowing while outsized ones (the costly kind, and an attacker's) wait for
// room and, failing that, are refused. That is why it is not
// golang.org/x/sync/semaphore.Weighted, which serves waiters in order: one
// outsized chunk waiting would hold every ordinary one behind it.
type memoryBudget struct {
	size int64
	wait time.Duration

	mu    sync.Mutex
	used  int64
	freed chan struct{} // closed, and replaced, whenever memory is given back
}

func newMemoryBudget(size int64, wait time.Duration) *memoryBudget {
	return &memoryBudget{size: size, wait: wait, freed: make(chan struct{})}
}

// errBusy means the budget stayed full for the whole wait.
var errBusy = errors.New("decode memory budget exhausted")

// reserve takes n bytes of the budget, waiting at most b.wait, and returns
// what it took (to give back with release). A chunk that would need more
// than the whole budget takes all of it and so runs alone.
func (b *memoryBudget) reserve(ctx context.Context, n int64) (int64, error) {
	return b.reserveWithin(ctx, n, b.wait)
}

func (b *memoryBudget) reserveWithin(ctx context.Context, n int64, wait time.Duration) (int64, error) {
	n = min(max(n, 1), b.size)
	var timeout <-chan time.Time
	for {
		b.mu.Lock()
		if b.size-b.used >= n {
			b.used += n
			b.mu.Unlock()
			return n, nil
		}
		freed := b.freed
		b.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-freed:
		case <-timeout:
			return 0, errBusy
		case <-ctx.Done():
			return 0, ctx.Err() // the client went away
		}
	}
}

// release gives back n bytes taken by reserve.
func (b *memoryBudget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// reservation is what one chunk holds of the budget, grown as the chunk
// turns out to need more: first as its body arrives, then by the bound of
// its working memory once the body is read. However many times it grows,
// it waits for memory no longer than the budget's wait in all.
type reservation struct {
	b      *memoryBudget
	ctx    context.Context
	held   int64
	waited time.Duration
}

func (b *memoryBudget) hold(ctx context.Context) *reservation { return &reservation{b: b, ctx: ctx} }

// growTo makes the reservation n bytes (at most the whole budget), waiting
// at most the budget's wait for what it lacks.
func (r *reservation) growTo(n int64) error {
	n = min(n, r.b.size)
	if n <= r.held {
		return nil
	}
	start := time.Now()
	got, err := r.b.reserveWithin(r.ctx, n-r.held, max(r.b.wait-r.waited, 0))
	r.waited += time.Since(start)
	r.held += got
	return err
}

func (r *reservation) release() {
	r.b.release(r.held)
	r.held = 0
}

// readStep is how far ahead of the bytes received a body's reservation grows.
const readStep = 256 << 10

// budgetReader reads a chunk body as sent, reserving the bytes before they
// arrive: bodies being received count against the budget too, so that many
// chunks at once can hold no more than the budget even before they inflate.
// A body trickling in holds only what it has sent. Each byte counts twice:
// the buffer it is read into grows by doubling, and what it outgrew is
// garbage that still takes memory until it is collected.
type budgetReader struct {
	r    io.Reader
	res  *reservation
	read int64
}

func (br *budgetReader) Read(p []byte) (int, error) {
	p = p[:min(len(p), readStep)]
	if err := br.res.growTo(2 * (br.read + int64(len(p)))); err != nil {
		return 0, err
	}
	n, err := br.r.Read(p)
	br.read += int64(n)
	return n, err
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
