package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Page is a window of an import's rows, decrypted for an authorised reader.
type Page struct {
	Columns []string    `json:"columns"`
	Offset  int64       `json:"offset"`
	Total   int64       `json:"total"`
	Rows    [][]*string `json:"rows"`
	// RowNumbers[i] is the source row index of Rows[i].
	RowNumbers []int64     `json:"row_numbers"`
	Errors     []CellError `json:"errors"`
}

// ErrUnreadable means the import's rows are gone (purged) or never stored.
var ErrUnreadable = errors.New("the import's rows are not stored")

// Rows returns rows [offset, offset+limit) of an import of orgID, opening
// only the chunks that hold them.
func (s *Service) Rows(ctx context.Context, orgID, importID string, offset int64, limit int) (Page, error) {
	im, err := s.o.Store.Import(ctx, orgID, importID)
	if err != nil {
		return Page{}, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return Page{}, fmt.Errorf("import %s: %w", importID, ErrUnreadable)
	}
	chunks, err := s.o.Store.Chunks(ctx, importID)
	if err != nil {
		return Page{}, err
	}
	page := Page{Offset: offset, Rows: [][]*string{}, RowNumbers: []int64{}, Errors: []CellError{}}
	page.Columns = im.RowColumns
	var key *vault.DataKey
	var pos int64
	for _, c := range chunks {
		page.Total += int64(c.Rows)
		end := pos + int64(c.Rows)
		if end <= offset || pos >= offset+int64(limit) || c.BlobKey == "" {
			pos = end
			continue
		}
		if key == nil {
			if key, err = s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey); err != nil {
				return Page{}, err
			}
		}
		_, rows, errs, err := s.openChunk(ctx, key, c)
		if err != nil {
			return Page{}, err
		}
		from, to := max(offset-pos, 0), min(offset+int64(limit)-pos, int64(c.Rows))
		for i := from; i < to; i++ {
			page.Rows = append(page.Rows, rows[i])
			page.RowNumbers = append(page.RowNumbers, c.FirstRow+i)
		}
		for _, e := range errs {
			if int64(e.row) >= from && int64(e.row) < to && e.col < len(page.Columns) {
				page.Errors = append(page.Errors, CellError{Row: c.FirstRow + int64(e.row), Column: page.Columns[e.col], Code: e.code, Params: e.params})
			}
		}
		pos = end
	}
	return page, nil
}

// openChunk reads and decrypts one stored chunk.
func (s *Service) openChunk(ctx context.Context, key *vault.DataKey, c store.Chunk) (int, [][]*string, []storedError, error) {
	sealed, err := s.o.Bucket.ReadAll(ctx, c.BlobKey)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read chunk %d: %w", c.N, err)
	}
	plain, err := key.Open(nil, vault.PurposeChunk, int64(c.N), sealed)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("open chunk %d: %w", c.N, err)
	}
	w, rows, errs, err := decodeRows(plain)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("decode chunk %d: %w", c.N, err)
	}
	return w, rows, errs, nil
}
