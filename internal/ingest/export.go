package ingest

import (
	"context"
	"fmt"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// Export is an import opened for a full read (a download): its columns and
// chunk list are known before the first byte is written, so a handler can
// still answer 404 or 410 with a proper status.
type Export struct {
	s       *Service
	im      store.Import
	chunks  []store.Chunk
	Columns []string
	// Rows is the number of stored rows.
	Rows int64
}

// OpenExport prepares a read of every row of an import of orgID. It fails
// with ErrUnreadable when the rows are gone or were never stored.
func (s *Service) OpenExport(ctx context.Context, orgID, importID string) (*Export, error) {
	im, err := s.o.Store.Import(ctx, orgID, importID)
	if err != nil {
		return nil, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return nil, fmt.Errorf("import %s: %w", importID, ErrUnreadable)
	}
	chunks, err := s.o.Store.Chunks(ctx, importID)
	if err != nil {
		return nil, err
	}
	e := &Export{s: s, im: im, chunks: chunks}
	importer, err := s.o.Store.Importer(ctx, orgID, im.ImporterID)
	if err != nil {
		return nil, err
	}
	t, err := template.Parse(importer.Template)
	if err != nil {
		return nil, fmt.Errorf("import %s template: %w", importID, err)
	}
	e.Columns = t.Keys()
	for _, c := range chunks {
		e.Rows += int64(c.Rows)
	}
	return e, nil
}

// Each calls fn with the rows of every stored chunk, in row order. It reads
// the next chunk while fn handles the current one, so decryption and writing
// overlap, and holds at most two chunks in memory. fn must not keep rows.
func (e *Export) Each(ctx context.Context, fn func(rows [][]*string) error) error {
	if len(e.chunks) == 0 {
		return nil
	}
	key, err := e.s.o.Vault.DataKey(ctx, e.im.ID, e.im.WrappedKey)
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
		for _, c := range e.chunks {
			if c.BlobKey == "" {
				continue
			}
			_, rows, _, err := e.s.openChunk(ctx, key, c)
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
