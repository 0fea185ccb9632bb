package retention_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// seedExpired stores n completed imports of one importer that expired an
// hour before now, each with a real wrapped data key and one sealed chunk
// (chunk row and blob). It writes the rows directly, many per transaction,
// because the upload pipeline (three transactions per import) would make
// seeding 100k imports take minutes; the purge under test only reads what
// the pipeline would have written.
func seedExpired(t testing.TB, st *store.Store, v *vault.Vault, bk *blob.Bucket, orgID, importerID string, n int, now time.Time) []string {
	t.Helper()
	ctx := context.Background()
	type seeded struct {
		id              string
		wrapped, sealed []byte
		key             string
	}
	all := make([]seeded, n)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				id := store.NewSortableID("imt_")
				k, wrapped, err := v.NewDataKey(ctx, id)
				if err != nil {
					errs <- err
					return
				}
				v.Forget(id)
				sealed := k.Seal(nil, vault.PurposeChunk, 0, []byte("sealed rows of "+id))
				key := fmt.Sprintf("imports/%s/%07d-%s", id, 0, "seed")
				if err := bk.WriteAll(ctx, key, sealed, nil); err != nil {
					errs <- err
					return
				}
				all[i] = seeded{id, wrapped, sealed, key}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	created := now.Add(-48 * time.Hour).UnixMicro()
	expires := now.Add(-time.Hour).UnixMicro()
	ids := make([]string, n)
	for start := 0; start < n; start += 5000 {
		err := st.InTx(ctx, func(tx *sql.Tx) error {
			for i := start; i < min(start+5000, n); i++ {
				s := all[i]
				ids[i] = s.id
				if _, err := tx.ExecContext(ctx, `INSERT INTO imports (id, org_id, importer_id, status, columns, source_format,
					source_bytes, expected_rows, rows_received, chunks_received, bytes_stored, token_hash, token_expires_at,
					wrapped_key, created_at, completed_at, expires_at)
					VALUES ($1, $2, $3, 'completed', '["name","email"]', 'csv', 10, 1, 1, 1, $4, $5, $6, $7, $6, $6, $8)`,
					s.id, orgID, importerID, len(s.sealed), store.HashSecret(s.id), created, s.wrapped, expires); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (import_id, n, first_row, row_count, rows_with_errors,
					error_columns, body_hash, blob_key, sealed_bytes, created_at) VALUES ($1, 0, 0, 1, 0, '{}', $2, $3, $4, $5)`,
					s.id, store.HashSecret(s.key), s.key, len(s.sealed), created); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed imports: %v", err)
		}
	}
	return ids
}
