package store

import (
	"context"
	"testing"
)

// TestPreparedStatements: on SQLite the statements of a chunk's
// transaction run unprepared the first time, are prepared once it has
// ended and run prepared from then on, with the same results; PostgreSQL
// prepares none of its own. A closed store prepares no more.
func TestPreparedStatements(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			im := uploadingImport(t, s, "stmts", []string{"a"}, 30)
			cached := func() int {
				s.stmts.mu.Lock()
				defer s.stmts.mu.Unlock()
				return len(s.stmts.m)
			}
			for n := range 3 {
				w, err := s.BeginChunk(ctx, im.ID)
				if err != nil {
					t.Fatal(err)
				}
				err = w.Put(Chunk{N: n, FirstRow: int64(10 * n), Rows: 10, BodyHash: []byte{byte(n)}, BlobKey: "k",
					Claims: []Claim{{Key: uint64(n), Row: int64(10 * n)}}})
				if err == nil {
					err = w.Commit()
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := cached(); (name == "sqlite") != (got > 0) {
					t.Fatalf("after chunk %d: %d statements prepared", n, got)
				}
			}
			got, err := s.ImportByID(ctx, im.ID)
			if err != nil || got.ChunksReceived != 3 || got.RowsReceived != 30 {
				t.Fatalf("import after 3 chunks: %d chunks, %d rows, %v", got.ChunksReceived, got.RowsReceived, err)
			}
			c, err := s.CompleteImport(ctx, im.ID, 3, 30, 0, 30, nil)
			if err != nil || c.Rows != 30 {
				t.Fatalf("completion: %+v, %v", c, err)
			}
			s.stmts.close()
			s.prepared(`SELECT 1`)
			s.prepareNoted(ctx)
			if got := cached(); got != 0 {
				t.Fatalf("%d statements prepared after close", got)
			}
		})
	}
}
