package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/rowsync"
	"github.com/herdhq/herd/dialect/internal/target"
	sqlite "modernc.org/sqlite"
)

var _ dialect.RowSyncer = (*Server)(nil)

// syncSource is the name the source file is attached under.
const syncSource = "herd_src"

// SyncRows opens a connection on dst's file and attaches src's: each
// chunk of keys is one transaction of a DELETE from dst and an INSERT OR
// REPLACE INTO dst … SELECT from src (no row passes through herd; the
// REPLACE also removes a stale row of dst that a copied row collides
// with on a unique key), with foreign keys off. Its transactions are
// deferred, not immediate as herd's others: they take dst's write lock
// only, and read src as any reader does, so they run while src is frozen
// (FreezeWrites holds src's write lock). Triggers of dst fire: the
// capture triggers were removed from it, but an application trigger
// copied along runs again on each synced row.
func (s *Server) SyncRows(ctx context.Context, src, dst string) (dialect.RowSync, error) {
	fail := func(err error) (dialect.RowSync, error) {
		return nil, fmt.Errorf("sqlite: sync rows from database %q to %q on server %q: %w", src, dst, s.name, err)
	}
	for _, n := range []string{src, dst} {
		if err := target.CheckName(n, MaxNameLength); err != nil {
			return fail(err)
		}
		if err := s.mustExist(n); err != nil {
			return fail(err)
		}
	}
	params := strings.Replace(connParams, "_txlock=immediate", "_txlock=deferred", 1)
	c, err := sqlite.NewConnector(fileURI(s.file(dst)) + "?" + params)
	if err != nil {
		return fail(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF")
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "ATTACH DATABASE ? AS "+syncSource, s.file(src))
	}
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		_ = db.Close()
		return fail(err)
	}
	d := New()
	return &rowsync.Session{
		Conn:       conn,
		Quoter:     d,
		Src:        func(t string) string { return syncSource + "." + d.QuoteIdent(t) },
		Dst:        func(t string) string { return "main." + d.QuoteIdent(t) },
		Insert:     "INSERT OR REPLACE",
		Generators: syncSequence,
		Release:    db.Close,
	}, nil
}

// syncSequence copies the source's sqlite_sequence rows (AUTOINCREMENT
// tables' counters) for the tables the destination has, when the source
// has any.
func syncSequence(ctx context.Context, conn *sql.Conn) error {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+syncSource+".sqlite_master WHERE name = 'sqlite_sequence'").Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, q := range []string{
		"DELETE FROM main.sqlite_sequence WHERE name IN (SELECT name FROM " + syncSource + ".sqlite_sequence)",
		"INSERT INTO main.sqlite_sequence (name, seq) SELECT s.name, s.seq FROM " + syncSource + ".sqlite_sequence AS s " +
			"WHERE s.name IN (SELECT name FROM main.sqlite_master WHERE type = 'table')",
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}
