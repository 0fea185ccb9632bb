package ingest

import (
	"bytes"
	"hash"
	"io"
	"slices"
	"unsafe"

	"github.com/klauspost/compress/gzip"

	"github.com/intakehq/intake/internal/store"
)

// scratch holds the working memory of one chunk in flight: the body as
// sent, its inflated form, the decoded and validated cell tables, the
// table of its unique values and the sealed rows — a few megabytes for a chunk of 5,000 rows. Allocating them
// afresh for every chunk cost a fifth of the ingest path in zeroing and
// garbage collection, so PutChunk takes a scratch from scratchPool and hands
// it back once nothing refers to the chunk's rows any more.
//
// What the chunks in flight hold is bounded by the decode memory budget
// (memoryBudget); what the pool keeps between chunks is bounded apart from
// it: at most scratchPoolSize scratches of at most maxPooledBytes each. It
// is a fixed list rather than a sync.Pool, which keeps as many scratches
// as were ever taken at once — after a wave of large chunks, each of them
// grown for one.
type scratch struct {
	body, inflated, sealed []byte
	gz                     *gzip.Reader
	sha                    hash.Hash // SHA-256 of the chunk's JSON, reset for each
	src                    bytes.Reader
	dec                    cellTable // the cells as decoded, upload column order
	val                    cellTable // the cells as validated, template order
	slots                  []claimSlot
	claims                 []store.Claim
}

// cellTable is a chunk's cells: their strings (decoding only), pointers to
// them (nil for an empty cell) and the rows slicing the pointers.
type cellTable struct {
	cells []string
	ptrs  []*string
	rows  [][]*string
}

// maxPooledBytes bounds what a pooled scratch keeps for the next chunk, its
// byte buffers and cell tables together: about twice what a widget chunk of
// 5,000 ordinary rows needs. A scratch that grew past it for an exceptional
// chunk is left to the garbage collector whole, since the decoded cells
// point into its buffers. scratchPoolSize scratches are kept at most: the
// pool holds no more than 32 MiB while the server is idle.
const (
	maxPooledBytes  = 8 << 20
	scratchPoolSize = 4
)

var scratchPool = make(chan *scratch, scratchPoolSize)

func getScratch() *scratch {
	select {
	case sc := <-scratchPool:
		return sc
	default:
		return new(scratch)
	}
}

// release returns sc to the pool. The caller must hold no reference into it.
func (sc *scratch) release() {
	if sc.size() > maxPooledBytes {
		return
	}
	sc.src.Reset(nil)
	select {
	case scratchPool <- sc:
	default: // the pool is full: sc is left to the garbage collector
	}
}

// size is the memory sc holds in its buffers and tables.
func (sc *scratch) size() int {
	return cap(sc.body) + cap(sc.inflated) + cap(sc.sealed) + sc.dec.size() + sc.val.size() +
		cap(sc.slots)*int(unsafe.Sizeof(claimSlot(0))) + cap(sc.claims)*int(unsafe.Sizeof(store.Claim{}))
}

func (t *cellTable) size() int {
	return cap(t.cells)*int(unsafe.Sizeof("")) + cap(t.ptrs)*int(unsafe.Sizeof((*string)(nil))) +
		cap(t.rows)*int(unsafe.Sizeof([]*string(nil)))
}

// readAll reads r to its end into buf[:0], growing buf as needed, and stops
// after limit+1 bytes so that the caller can tell a body over the limit.
// Unlike io.ReadAll and bytes.Buffer.ReadFrom, it does not grow a buffer
// that the read exactly fills. When h is not nil, it hashes each read's
// bytes as they arrive, while they are still in the processor's cache.
func readAll(buf []byte, r io.Reader, limit int64, h hash.Hash) ([]byte, error) {
	buf = buf[:0]
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(len(buf), 32<<10), int(limit+1)-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), int(limit+1))])
		if h != nil {
			h.Write(buf[len(buf) : len(buf)+n])
		}
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// grow returns s[:n], reallocated only when its capacity is short; never nil.
func grow[T any](s []T, n int) []T {
	if s == nil || cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
