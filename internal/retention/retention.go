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
	// 100: on SQLite the transaction holds the only writer, and uploads
	// wait for it; 100 imports cost about 6 ms of one core, and batches of
	// 250 took upload p99 from about 20 ms to 55 ms during a purge). A batch that
	// times out halves it, down to MinBatchSize (default 10), and it grows
	// back after batches that finish.
	BatchSize, MinBatchSize int
	// BatchTimeout bounds one retention batch's database work: finishing
	// interrupted purges and the shred transaction (default 30 s). Blob
	// deletion runs beside the next batch, bounded by the run's context.
	BatchTimeout time.Duration
	// DeleteConcurrency is how many imports have their blobs deleted at
	// once (default 4; raise it for S3, where each delete is a request).
	DeleteConcurrency int
	// AbandonAfter is how long an upload may go without a chunk before the
	// retention run purges it as abandoned (default 24 hours, the upload
	// token's default life: past it no chunk could come anyway). Anyone
	// with an importer's public key can open uploads, so what one leaves
	// must not wait for the importer's retention period.
	AbandonAfter time.Duration
}

// DefaultAbandonAfter is AbandonAfter's default.
const DefaultAbandonAfter = 24 * time.Hour

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
	o.BatchSize = cmp.Or(o.BatchSize, 100)
	o.MinBatchSize = min(cmp.Or(o.MinBatchSize, 10), o.BatchSize)
	o.BatchTimeout = cmp.Or(o.BatchTimeout, 30*time.Second)
	o.DeleteConcurrency = cmp.Or(o.DeleteConcurrency, 4)
	o.AbandonAfter = cmp.Or(o.AbandonAfter, DefaultAbandonAfter)
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
// organization's interrupted purges.
func (s *Service) purgeAll(ctx context.Context, sel store.ShredSelection, reason importlog.Reason) (Result, error) {
	first := true
	return s.loop(ctx, func(ctx context.Context, finished []string) (Result, []string, bool, error) {
		var pending int
		if first {
			first = false
			var err error
			if pending, err = s.finishPending(ctx, sel.OrgID, s.o.BatchSize); err != nil {
				return Result{Pending: pending}, nil, false, err
			}
		}
		sel.Limit, sel.Finished = s.o.BatchSize, finished
		r, ids, err := s.shred(ctx, sel, reason)
		r.Pending += pending
		return r, ids, r.Imports == sel.Limit, err
	})
}

// PurgeDue purges every import whose retention ended and every abandoned
// upload, in batches; a batch that exceeds BatchTimeout is retried smaller.
// It is what the periodic job and `intake purge --expired` run, and is safe
// to run on several replicas at once.
func (s *Service) PurgeDue(ctx context.Context) (Result, error) {
	resume := true // finish interrupted purges first, and after a timeout
	return s.loop(ctx, func(ctx context.Context, finished []string) (Result, []string, bool, error) {
		size := s.batchSize()
		bctx, cancel := context.WithTimeout(ctx, s.o.BatchTimeout)
		defer cancel()
		var r Result
		var ids []string
		var err error
		if resume {
			r.Pending, err = s.finishPending(bctx, "", size)
		}
		if err == nil {
			now := s.o.Now()
			var shredded Result
			shredded, ids, err = s.shred(bctx, store.ShredSelection{Due: now, AbandonedBefore: now.Add(-s.o.AbandonAfter), At: now, Limit: size,
				Finished: finished}, importlog.ReasonExpired)
			r.add(shredded)
		}
		// The batch timed out when its own deadline passed (the driver may
		// report it as an interrupted statement rather than the context's
		// error); the run goes on unless the caller's context ended.
		resume = err != nil && bctx.Err() != nil && ctx.Err() == nil
		switch {
		case resume:
			// The shred rolled back: finish the previous batch on its own.
			s.shrink(size)
			return r, nil, true, s.finish(ctx, finished)
		case err != nil:
			return r, nil, false, err
		}
		s.grow(size)
		return r, ids, r.Imports == size, nil
	})
}

// batchFunc shreds one batch (deleting, in the same transaction, the rows of
// the finished imports, whose blobs are gone) and returns what it destroyed,
// the ids it shredded, and whether more may remain. When it fails, it has
// not deleted the rows of finished.
type batchFunc func(ctx context.Context, finished []string) (r Result, shredded []string, more bool, err error)

// loop runs batches as a pipeline: while batch k is shredded, the blobs of
// batch k-1 are deleted in the background, and the rows of batch k-2 (whose
// blobs are gone) are deleted in batch k's shred transaction. The database
// (one writer on SQLite) and the blob store work at the same time, and each
// batch costs one write transaction.
func (s *Service) loop(ctx context.Context, batch batchFunc) (Result, error) {
	var total Result
	checkpoint, restore, err := s.o.Store.PurgeCheckpoints(ctx)
	if err != nil {
		return total, err
	}
	defer restore()
	var finished []string
	var inflight *blobWork
	for n, more := 1, true; more && err == nil; n++ {
		if err = ctx.Err(); err != nil {
			break
		}
		if n%checkpointEvery == 0 {
			if err = checkpoint(ctx); err != nil {
				break
			}
		}
		var r Result
		var ids []string
		r, ids, more, err = batch(ctx, finished)
		total.add(r)
		if err != nil {
			break
		}
		finished = nil
		if inflight != nil {
			finished, err = inflight.wait(&total)
			inflight = nil
		}
		if len(ids) > 0 && err == nil {
			inflight = s.startBlobs(ctx, ids)
		}
	}
	if inflight != nil {
		done, werr := inflight.wait(&total)
		finished, err = append(finished, done...), errors.Join(err, werr)
	}
	return total, s.done(ctx, total, errors.Join(err, s.finish(ctx, finished)))
}

// checkpointEvery is how many batches run between WAL checkpoints during a
// purge (see store.PurgeCheckpoints): about 800 imports, a WAL of a few
// megabytes.
const checkpointEvery = 8

// blobWork is the background deletion of one batch's blobs.
type blobWork struct {
	finished chan struct{}
	ids      []string // shredded; done holds those whose blobs are all gone
	done     []string
	err      error
}

func (s *Service) startBlobs(ctx context.Context, ids []string) *blobWork {
	w := &blobWork{finished: make(chan struct{}), ids: ids}
	go func() {
		defer close(w.finished)
		w.done, w.err = s.deleteBlobsOf(ctx, ids)
	}()
	return w
}

// wait returns the imports whose blobs are gone and counts the others as
// pending in total.
func (w *blobWork) wait(total *Result) ([]string, error) {
	<-w.finished
	total.Pending += len(w.ids) - len(w.done)
	return w.done, w.err
}

// finish deletes the rows of imports whose blobs are gone, when a loop ends
// (even when its context did).
func (s *Service) finish(ctx context.Context, finished []string) error {
	return s.o.Store.DeletePurgedData(context.WithoutCancel(ctx), finished)
}

func (s *Service) batchSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch
}

// shrink halves the batch after a timeout, as River's job cleaner does, so
// that a slow or busy database still makes progress.
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

// shred destroys the keys of one batch and forgets them, returning what it
// destroyed and the ids to delete the blobs of.
func (s *Service) shred(ctx context.Context, sel store.ShredSelection, reason importlog.Reason) (Result, []string, error) {
	if sel.At.IsZero() {
		sel.At = s.o.Now()
	}
	at := sel.At.UTC().Truncate(time.Microsecond)
	shredded, err := s.o.Store.Shred(ctx, sel, func(im store.Shredded, prev []byte) (importlog.Purged, []byte, error) {
		return NewReceipt(im, prev, reason, at)
	})
	if err != nil {
		return Result{}, nil, err
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
	return r, ids, nil
}

// finishPending deletes the data of shredded imports whose purge was
// interrupted, limit at a time until none is left, and returns how many
// remain unfinished because the blob store failed for them.
func (s *Service) finishPending(ctx context.Context, orgID string, limit int) (int, error) {
	for {
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
		if err == nil {
			err = s.o.Store.DeletePurgedData(ctx, done)
		}
		if failed := len(ids) - len(done); err != nil || failed > 0 || len(ids) < limit {
			return failed, err
		}
	}
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
