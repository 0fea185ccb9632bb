package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps statements of the write path prepared on SQLite's write
// connection: modernc parses the text of a statement it was not given
// prepared every time it runs it, a tenth of recording a chunk. PostgreSQL
// needs none (pgx keeps its own cache of prepared statements).
//
// The write connection is the only one, so a statement cannot be prepared
// on it while a transaction holds it: a statement is run unprepared the
// first time and noted, and the statements noted are prepared when a write
// transaction of the store has ended (prepareNoted). The cache holds at
// most maxCachedStmts statements (a chunk's claims statement varies with
// the buckets it fills); others always run unprepared.
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	noted  map[string]bool
	closed bool
}

const maxCachedStmts = 64

// prepared returns query prepared on the write connection, or nil (the
// caller runs the text itself) on PostgreSQL and until it is.
func (s *Store) prepared(query string) *sql.Stmt {
	if s.postgres {
		return nil
	}
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if !c.closed && len(c.m)+len(c.noted) < maxCachedStmts {
		if c.noted == nil {
			c.noted = map[string]bool{}
		}
		c.noted[query] = true
	}
	return nil
}

// prepareNoted prepares the statements noted by prepared. The caller must
// hold no transaction on the write connection; the cache's lock is not
// held while preparing, which waits for the connection. A statement that
// fails to prepare is left to run unprepared, where its error, if any, is
// reported.
func (s *Store) prepareNoted(ctx context.Context) {
	c := &s.stmts
	c.mu.Lock()
	var queries []string
	for query := range c.noted {
		queries = append(queries, query)
	}
	clear(c.noted)
	c.mu.Unlock()
	for _, query := range queries {
		s.prepareOne(ctx, query)
	}
}

// prepareOne prepares query on the write connection and caches it, unless
// it was meanwhile or the store is closing.
func (s *Store) prepareOne(ctx context.Context, query string) {
	st, err := s.write.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return
	}
	kept := false
	defer func() {
		if !kept {
			st.Close()
		}
	}()
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[query]; ok || c.closed {
		return
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query], kept = st, true
}

// txExec runs query in tx, prepared once it has been (see stmtCache).
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.prepared(query); st != nil {
		txs := tx.StmtContext(ctx, st)
		defer txs.Close() // the statement stays prepared: it is st's
		return txs.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow runs query in tx, prepared once it has been (see stmtCache).
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.prepared(query); st != nil {
		//nolint:sqlclosecheck // the row is scanned after this returns: the transaction closes the statement when it ends
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// close closes the cached statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = nil, true
}
