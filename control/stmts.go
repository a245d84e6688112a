package control

import (
	"context"
	"database/sql"
	"sync"
)

// statements keeps the Store's writes in transactions, and the console's
// pages, prepared, so that each is parsed once per connection rather than
// once per call, on engines that run in this process (dialect.InProcess):
// on SQLite, recording a run's outcome took 500 µs of CPU, 350 µs
// prepared, and parsing a page of tenants was half its cost. Elsewhere the server
// parses, and PostgreSQL's driver already keeps statements prepared.
type statements struct {
	enabled bool
	mu      sync.Mutex
	bySQL   map[string]*sql.Stmt
}

// execIn runs query with args through q: in a transaction, through the
// statement kept prepared for query (prepared the first time); otherwise
// as it is.
func (s *Store) execIn(ctx context.Context, q execer, query string, args ...any) (sql.Result, error) {
	tx, ok := q.(*sql.Tx)
	if !ok {
		return q.ExecContext(ctx, query, args...)
	}
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.ExecContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// query runs query with args, through its statement kept prepared where
// statements are kept.
func (r *Reader) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := r.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return r.db.DB.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// prepared returns query's statement, prepared on the pool (database/sql
// prepares it again on each connection that runs it). It returns nil
// where statements are not kept (not dialect.InProcess). They are
// bounded by the control queries, one statement each. The pool opens a
// connection for it when the others are busy (dialect.InProcess).
func (r *Reader) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c := r.stmts
	if !c.enabled {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.bySQL[query]; ok {
		return st, nil
	}
	st, err := r.db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.bySQL == nil {
		c.bySQL = map[string]*sql.Stmt{}
	}
	c.bySQL[query] = st
	return st, nil
}
