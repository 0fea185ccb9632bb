package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestSQLitePageCachesBounded: the page caches of every SQLite connection
// together stay within 96 MiB (a server's resident memory grew past 200 MB
// on its second 1M-row import with 64 MiB for each of nine connections).
func TestSQLitePageCachesBounded(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{SQLitePath: filepath.Join(t.TempDir(), "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cacheKiB := func(db *sql.DB) int64 {
		var n int64
		if err := db.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 0 {
			t.Fatalf("cache_size %d is in pages, want a size in KiB (negative)", n)
		}
		return -n
	}
	writer, reader := cacheKiB(s.write), cacheKiB(s.read)
	maxReaders := int64(s.read.Stats().MaxOpenConnections)
	if total := writer + maxReaders*reader; total > 96<<10 {
		t.Errorf("page caches: writer %d KiB + %d readers × %d KiB = %d MiB, want at most 96 MiB", writer, maxReaders, reader, total>>10)
	}
	if writer < reader {
		t.Errorf("the writer's page cache (%d KiB) is smaller than a reader's (%d KiB)", writer, reader)
	}
}
