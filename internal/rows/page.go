package rows

import (
	"context"
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

// Page returns rows [offset, offset+limit) of an import of orgID, opening
// only the chunks that hold them.
func (r *Reader) Page(ctx context.Context, orgID, importID string, offset int64, limit int) (Page, error) {
	im, err := r.store.Import(ctx, orgID, importID)
	if err != nil {
		return Page{}, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 || len(im.Recipients) > 0 {
		// An e2e import's chunks are age ciphertext: no rows to page.
		return Page{}, fmt.Errorf("import %s: %w", importID, ErrUnreadable)
	}
	chunks, err := r.store.Chunks(ctx, importID)
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
			if key, err = r.vault.DataKey(ctx, im.ID, im.WrappedKey); err != nil {
				return Page{}, err
			}
		}
		_, rows, errs, blanks, err := r.openChunk(ctx, key, c)
		if err != nil {
			return Page{}, err
		}
		// Rows keep their numbers as sent, blank rows dropped or not.
		src := sentOffsets(len(rows), blanks)
		number := func(i int64) int64 {
			if src == nil {
				return c.FirstRow + i
			}
			return c.FirstRow + int64(src[i])
		}
		from, to := max(offset-pos, 0), min(offset+int64(limit)-pos, int64(c.Rows), int64(len(rows)))
		for i := from; i < to; i++ {
			page.Rows = append(page.Rows, rows[i])
			page.RowNumbers = append(page.RowNumbers, number(i))
		}
		for _, e := range errs {
			if int64(e.Row) >= from && int64(e.Row) < to && e.Col < len(page.Columns) {
				page.Errors = append(page.Errors, CellError{Row: number(int64(e.Row)), Column: page.Columns[e.Col], Code: e.Code, Params: e.Params})
			}
		}
		pos = end
	}
	return page, nil
}

// openChunk reads and decrypts one stored chunk, its errors with those
// of its duplicates overlay.
func (r *Reader) openChunk(ctx context.Context, key *vault.DataKey, c store.Chunk) (int, [][]*string, []StoredError, []int, error) {
	sealed, err := r.bucket.ReadAll(ctx, c.BlobKey)
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("read chunk %d: %w", c.N, err)
	}
	plain, err := key.Open(nil, vault.PurposeChunk, int64(c.N), sealed)
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("open chunk %d: %w", c.N, err)
	}
	w, rows, errs, blanks, err := decode(plain)
	if err != nil {
		return 0, nil, nil, nil, fmt.Errorf("decode chunk %d: %w", c.N, err)
	}
	if errs, err = withDuplicates(key, c, len(rows), errs, blanks); err != nil {
		return 0, nil, nil, nil, err
	}
	return w, rows, errs, blanks, nil
}
