// Package retention purges imports: when their retention period ends, when
// an upload is abandoned, and on demand (one import, one importer's, or a
// whole organization's). A purge is crypto-shredding first (the import's
// wrapped data key and sealed context are destroyed in the same transaction
// that marks it purged and appends its deletion receipt), then deletion of
// its blobs, then of its chunk rows and unique claims. What stays is the
// import row's counts and its value-free import log.
//
// Purges are idempotent and resumable: an import is shredded and receipted
// exactly once, and one whose blobs or rows survived a crash or an
// unreachable blob store is finished by the next run. The receipts of an
// organization form a hash chain (see Verify).
//
// retention never decrypts anything and never logs more than ids and counts.
package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Options configure a Service. Store, Vault, Bucket and Logger are required.
type Options struct {
	Store  *store.Store
	Vault  *vault.Vault
	Bucket *blob.Bucket
	Logger *slog.Logger
	// Now is the clock deciding what has expired; time.Now by default.
	Now func() time.Time
	// BatchSize is how many imports one shred transaction takes (default
	// 250: on SQLite the transaction holds the only writer, and uploads
	// wait for it; 250 keeps that wait near 15 ms). A retention batch that
	// times out halves it, down to MinBatchSize (default 10), and it grows
	// back after batches that finish.
	BatchSize, MinBatchSize int
	// BatchTimeout bounds one retention batch (default 30 s).
	BatchTimeout time.Duration
	// DeleteConcurrency is how many imports have their blobs deleted at
	// once (default 16; S3 deletes are one request per object).
	DeleteConcurrency int
}

// Service purges imports.
type Service struct {
	o     Options
	mu    sync.Mutex
	batch int // the current retention batch size, shrunk after timeouts
}

// New returns a Service with defaults filled in.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.BatchSize = cmp.Or(o.BatchSize, 250)
	o.MinBatchSize = min(cmp.Or(o.MinBatchSize, 10), o.BatchSize)
	o.BatchTimeout = cmp.Or(o.BatchTimeout, 30*time.Second)
	o.DeleteConcurrency = cmp.Or(o.DeleteConcurrency, 4)
	return &Service{o: o, batch: o.BatchSize}
}

// Result is what a purge destroyed.
type Result struct {
	// Imports were shredded by this purge (not counting ones purged before).
	Imports int `json:"imports"`
	// Chunks and Bytes count their sealed chunks and bytes.
	Chunks int   `json:"chunks"`
	Bytes  int64 `json:"bytes"`
	// Pending imports are shredded but their blobs could not all be deleted
	// yet; the retention job finishes them.
	Pending int `json:"pending,omitempty"`
}

func (r *Result) add(o Result) {
	r.Imports += o.Imports
	r.Chunks += o.Chunks
	r.Bytes += o.Bytes
	r.Pending += o.Pending
}

// ErrBlobsPending means a purge shredded its imports but could not delete
// every blob; the data is unreadable already and the next run deletes it.
var ErrBlobsPending = errors.New("blobs of shredded imports remain to be deleted")

// PurgeImport purges one import of orgID (store.ErrNotFound when it has
// none with this id). Purging a purged import again destroys nothing and
// finishes what a crash may have left.
func (s *Service) PurgeImport(ctx context.Context, orgID, importID string) (Result, error) {
	im, err := s.o.Store.Import(ctx, orgID, importID)
	if err != nil {
		return Result{}, err
	}
	return s.purgeAll(ctx, store.ShredSelection{OrgID: orgID, ImportID: im.ID}, importlog.ReasonRequested)
}

// PurgeImporter purges every import of one importer of orgID, deleted
// importers included.
func (s *Service) PurgeImporter(ctx context.Context, orgID, importerID string) (Result, error) {
	return s.purgeAll(ctx, store.ShredSelection{OrgID: orgID, ImporterID: importerID}, importlog.ReasonRequested)
}

// PurgeOrg purges every import of the organization ("the button").
func (s *Service) PurgeOrg(ctx context.Context, orgID string) (Result, error) {
	return s.purgeAll(ctx, store.ShredSelection{OrgID: orgID}, importlog.ReasonOrgWide)
}

// purgeAll purges what sel selects, batch after batch, after finishing the
// organization's pending purges.
func (s *Service) purgeAll(ctx context.Context, sel store.ShredSelection, reason importlog.Reason) (Result, error) {
	var total Result
	var carry []string
	pending, err := s.finishPending(ctx, sel.OrgID, s.o.BatchSize)
	total.Pending += pending
	for err == nil {
		sel.Limit, sel.Finished = s.o.BatchSize, carry
		var r Result
		r, carry, err = s.batch1(ctx, sel, reason)
		total.add(r)
		if r.Imports < sel.Limit {
			break
		}
	}
	return total, s.done(ctx, total, errors.Join(err, s.finish(ctx, carry)))
}

// PurgeDue purges every import whose retention ended and every abandoned
// upload, in batches; a batch that exceeds BatchTimeout is retried smaller.
// It is what the periodic job and `intake purge --expired` run, and is safe
// to run on several replicas at once.
func (s *Service) PurgeDue(ctx context.Context) (Result, error) {
	var total Result
	var carry []string
	var err error
	resume := true // finish interrupted purges first, and after a timeout
	for err == nil {
		if err = ctx.Err(); err != nil {
			break
		}
		size := s.batchSize()
		bctx, cancel := context.WithTimeout(ctx, s.o.BatchTimeout)
		var r Result
		r, carry, err = s.dueBatch(bctx, size, carry, resume)
		cancel()
		total.add(r)
		resume = errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
		if resume {
			s.shrink(size)
			err = nil
			continue
		}
		if err == nil {
			s.grow(size)
			if r.Imports < size {
				break
			}
		}
	}
	return total, s.done(ctx, total, errors.Join(err, s.finish(ctx, carry)))
}

// dueBatch shreds and deletes up to size due imports (see batch1 for
// carry), after finishing up to size interrupted purges when resume is set.
func (s *Service) dueBatch(ctx context.Context, size int, carry []string, resume bool) (Result, []string, error) {
	var pending int
	if resume {
		var err error
		if pending, err = s.finishPending(ctx, "", size); err != nil {
			return Result{Pending: pending}, carry, err
		}
	}
	now := s.o.Now()
	r, carry, err := s.batch1(ctx, store.ShredSelection{Due: now, At: now, Limit: size, Finished: carry}, importlog.ReasonExpired)
	r.Pending += pending
	return r, carry, err
}

// finish deletes the rows of the carried imports, whose blobs are gone, once
// a loop of batches ends (even when its context did).
func (s *Service) finish(ctx context.Context, carry []string) error {
	return s.o.Store.DeletePurgedData(context.WithoutCancel(ctx), carry)
}

func (s *Service) batchSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch
}

// shrink halves the batch after a timeout, as River's job cleaner does, so
// that a slow database or blob store still makes progress.
func (s *Service) shrink(from int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batch = max(from/2, s.o.MinBatchSize)
	s.o.Logger.Warn("retention batch timed out; shrinking it", "batch", s.batch)
}

func (s *Service) grow(from int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batch = min(max(s.batch, from*2), s.o.BatchSize)
}

// done checkpoints SQLite's WAL after a purge that destroyed something, so
// the freed pages (zeroed by secure_delete) replace the old ones in the
// database file and the WAL holding copies of them is truncated.
func (s *Service) done(ctx context.Context, r Result, err error) error {
	if r.Imports > 0 {
		if cerr := s.o.Store.Checkpoint(context.WithoutCancel(ctx)); cerr != nil {
			err = errors.Join(err, fmt.Errorf("checkpoint after purge: %w", cerr))
		}
		s.o.Logger.InfoContext(ctx, "purged", "imports", r.Imports, "chunks", r.Chunks, "bytes", r.Bytes, "pending", r.Pending)
	}
	if err == nil && r.Pending > 0 {
		err = fmt.Errorf("%d imports: %w", r.Pending, ErrBlobsPending)
	}
	return err
}

// batch1 shreds one batch, forgets the keys and deletes the blobs. The
// chunk rows and claims of imports whose blobs are gone are deleted by the
// next batch's shred transaction (sel.Finished), so each batch costs one
// write transaction, not two: batch1 returns those imports as the carry for
// the next call. When the shred fails, its transaction did nothing and the
// carry is sel.Finished unchanged.
func (s *Service) batch1(ctx context.Context, sel store.ShredSelection, reason importlog.Reason) (Result, []string, error) {
	if sel.At.IsZero() {
		sel.At = s.o.Now()
	}
	at := sel.At.UTC().Truncate(time.Microsecond)
	shredded, err := s.o.Store.Shred(ctx, sel, func(im store.Shredded, prev []byte) (importlog.Purged, []byte, error) {
		return NewReceipt(im, prev, reason, at)
	})
	if err != nil {
		return Result{}, sel.Finished, err
	}
	var r Result
	ids := make([]string, len(shredded))
	for i, im := range shredded {
		s.o.Vault.Forget(im.ID)
		r.Imports++
		r.Chunks += im.Chunks
		r.Bytes += im.Bytes
		ids[i] = im.ID
	}
	done, err := s.deleteBlobsOf(ctx, ids)
	r.Pending = len(ids) - len(done)
	return r, done, err
}

// finishPending deletes the data of up to limit shredded imports whose
// purge was interrupted and returns how many remain unfinished.
func (s *Service) finishPending(ctx context.Context, orgID string, limit int) (int, error) {
	pending, err := s.o.Store.PendingPurges(ctx, orgID, limit)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	ids := make([]string, len(pending))
	for i, p := range pending {
		ids[i] = p.ID
		s.o.Vault.Forget(p.ID)
	}
	done, err := s.deleteBlobsOf(ctx, ids)
	if err != nil {
		return len(ids) - len(done), err
	}
	return len(ids) - len(done), s.o.Store.DeletePurgedData(ctx, done)
}

// deleteBlobsOf deletes the blobs of shredded imports, several imports at
// once, and returns those whose blobs are all gone. An import the blob
// store failed for stays pending (logged, retried by the next run); only a
// canceled or expired context is an error.
func (s *Service) deleteBlobsOf(ctx context.Context, ids []string) ([]string, error) {
	failed := make([]bool, len(ids))
	sem := make(chan struct{}, s.o.DeleteConcurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.deleteBlobs(ctx, id)
			if err != nil && ctx.Err() == nil {
				// Once more at once: a listing can fail when another replica
				// deletes the same blobs under it.
				err = s.deleteBlobs(ctx, id)
			}
			if err != nil {
				failed[i] = true
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	done := make([]string, 0, len(ids))
	for i, id := range ids {
		if !failed[i] {
			done = append(done, id)
		}
	}
	if firstErr != nil {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		s.o.Logger.WarnContext(ctx, "blob deletion failed; the next purge run retries", "imports", len(ids)-len(done), "err", firstErr)
	}
	return done, nil
}

// deleteBlobs deletes every blob under the import's prefix. Listing (rather
// than following the chunk rows) also catches a blob whose chunk row never
// committed.
func (s *Service) deleteBlobs(ctx context.Context, importID string) error {
	it := s.o.Bucket.List(&blob.ListOptions{Prefix: "imports/" + importID + "/"})
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("list blobs of import %s: %w", importID, err)
		}
		if obj.IsDir {
			continue
		}
		if err := s.o.Bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("delete blob of import %s: %w", importID, err)
		}
	}
}
