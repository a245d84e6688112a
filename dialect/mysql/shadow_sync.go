package mysql

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/rowsync"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.RowSyncer = (*Server)(nil)

// SyncRows opens a session between databases src and dst of the server:
// each chunk of keys is one READ COMMITTED transaction of a DELETE from
// dst and a REPLACE INTO dst … SELECT from src across the two databases
// (no row passes through herd; REPLACE also removes a stale row of dst
// that a copied row collides with on a unique key), with
// foreign_key_checks off in the session. Triggers of dst fire: the
// capture triggers were removed from it, but an application trigger
// copied along runs again on each synced row.
func (s *Server) SyncRows(ctx context.Context, src, dst string) (dialect.RowSync, error) {
	fail := func(err error) (dialect.RowSync, error) {
		return nil, fmt.Errorf("mysql: sync rows from database %q to %q on server %q: %w", src, dst, s.name, s.dsn.Scrub(err))
	}
	db, err := s.Open(ctx, src)
	if err != nil {
		return fail(err)
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		_ = conn.Close()
		_ = db.Close()
		return fail(err)
	}
	return &rowsync.Session{
		Conn:   conn,
		Quoter: New(),
		Src:    func(t string) string { return quoteIdent(src) + "." + quoteIdent(t) },
		Dst:    func(t string) string { return quoteIdent(dst) + "." + quoteIdent(t) },
		Insert: "REPLACE",
		Tx:     &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		Generators: func(ctx context.Context, conn *sql.Conn) error {
			return syncCounters(ctx, conn, src, dst)
		},
		Release: db.Close,
	}, nil
}

// syncCounters raises each AUTO_INCREMENT counter of database dst to
// src's (InnoDB keeps a counter above the largest key anyway; this
// carries over the keys src handed out and then deleted).
func syncCounters(ctx context.Context, conn *sql.Conn, src, dst string) error {
	// MySQL 8 caches information_schema's counters; MariaDB has no such
	// cache, nor the variable.
	_, _ = conn.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0")
	counters := map[string]int64{}
	err := snapcopy.Each(ctx, conn, "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND AUTO_INCREMENT IS NOT NULL",
		[]any{src}, func(r *sql.Rows) error {
			var (
				t string
				n int64
			)
			err := r.Scan(&t, &n)
			counters[t] = n
			return err
		})
	if err != nil {
		return err
	}
	for t, n := range counters {
		if t == dialect.CaptureTable {
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s.%s AUTO_INCREMENT = %d", quoteIdent(dst), quoteIdent(t), n)); err != nil {
			return fmt.Errorf("table %q: %w", t, err)
		}
	}
	return nil
}
