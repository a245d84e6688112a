package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/rowsync"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.RowSyncer = (*Server)(nil)

// replicaRole makes a session skip foreign-key checks and triggers (both
// are triggers in PostgreSQL): synced rows arrive in any order, and the
// tenant's own triggers already ran on them. It needs a superuser, or on
// PostgreSQL 15 and later a role granted SET on the parameter.
const replicaRole = "SET session_replication_role = replica"

// overriding lets the copy write identity columns GENERATED ALWAYS.
const overriding = " OVERRIDING SYSTEM VALUE"

// simple binds keys as literals, which PostgreSQL casts to each key
// column's type: keys arrive as text and numbers, whatever the column's
// type.
func simple(args []any) []any { return append([]any{pgx.QueryExecModeSimpleProtocol}, args...) }

// SyncRows opens a session between tenants src and dst. With a schema per
// tenant, both schemas are in one database: each chunk of keys is a
// DELETE and an INSERT … SELECT across the two schemas on one connection.
// With a database per tenant, no statement can reach both databases: the
// session holds a connection to each, reads the chunk's rows from src as
// one JSON document and writes them to dst with json_populate_recordset,
// so every type goes through its own text form.
func (s *Server) SyncRows(ctx context.Context, src, dst string) (dialect.RowSync, error) {
	fail := func(err error) (dialect.RowSync, error) {
		return nil, fmt.Errorf("postgres: sync rows from %s %q to %q on server %q: %w", s.kind(), src, dst, s.name, s.dsn.Scrub(err))
	}
	from, err := s.Open(ctx, src)
	if err != nil {
		return fail(err)
	}
	to, err := s.Open(ctx, dst)
	if err != nil {
		_ = from.Close()
		return fail(err)
	}
	closeAll := func() error { return errors.Join(from.Close(), to.Close()) }
	toConn, err := replicaConn(ctx, to)
	if err != nil {
		_ = closeAll()
		return fail(err)
	}
	if s.tenancy == dialect.SchemaPerTenant {
		q := New()
		return &rowsync.Session{
			Conn:       toConn,
			Quoter:     q,
			Src:        func(t string) string { return dialect.Qualify(q, from, t) },
			Dst:        func(t string) string { return dialect.Qualify(q, to, t) },
			Conflicts:  true,
			Overriding: overriding,
			Args:       simple,
			Generators: func(ctx context.Context, _ *sql.Conn) error { return syncSequences(ctx, from, to) },
			Release:    closeAll,
		}, nil
	}
	return &databaseSync{from: from, to: to, conn: toConn, release: closeAll}, nil
}

// replicaConn pins a connection of db in replica mode.
func replicaConn(ctx context.Context, db *dialect.Database) (*sql.Conn, error) {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, replicaRole); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("turn off triggers and foreign keys for the copy (%s): %w", replicaRole, err)
	}
	return conn, nil
}

// databaseSync syncs rows between two databases through herd.
type databaseSync struct {
	from, to *dialect.Database
	conn     *sql.Conn // on to, in replica mode
	release  func() error
}

// Sync reads each chunk's rows from the source as JSON, then deletes and
// inserts them in the destination in one transaction.
func (s *databaseSync) Sync(ctx context.Context, t dialect.Table, keys [][]any) error {
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("sync table %q: no primary key", t.Name)
	}
	q := New()
	cols := strings.Join(rowsync.Columns(q, t), ", ")
	return rowsync.Chunks(keys, func(chunk [][]any) error {
		where, args := rowsync.Where(q, t.PrimaryKey, chunk, 1)
		var rows string
		read := "SELECT COALESCE(json_agg(r), '[]')::text FROM (SELECT " + cols + " FROM " + dialect.Qualify(q, s.from, t.Name) +
			" WHERE " + where + ") AS r"
		if err := s.from.DB.QueryRowContext(ctx, read, simple(args)...).Scan(&rows); err != nil {
			return fmt.Errorf("sync table %q: read: %w", t.Name, err)
		}
		tx, err := s.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sync table %q: %w", t.Name, err)
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		dst := dialect.Qualify(q, s.to, t.Name)
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+dst+" WHERE "+where, simple(args)...); err != nil {
			return fmt.Errorf("sync table %q: delete: %w", t.Name, err)
		}
		for _, u := range rowsync.UniqueKeys(t) {
			if _, err := tx.ExecContext(ctx, conflicts(q, dst, u), simple([]any{rows})...); err != nil {
				return fmt.Errorf("sync table %q: delete rows colliding on (%s): %w", t.Name, strings.Join(u, ", "), err)
			}
		}
		insert := "INSERT INTO " + dst + " (" + cols + ")" + overriding + " SELECT " + cols +
			" FROM json_populate_recordset(NULL::" + dst + ", $1::json)"
		if _, err := tx.ExecContext(ctx, insert, simple([]any{rows})...); err != nil {
			return fmt.Errorf("sync table %q: copy: %w", t.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sync table %q: commit: %w", t.Name, err)
		}
		return nil
	})
}

// conflicts returns the DELETE of the rows of table dst whose columns
// cols hold the values of a row of the JSON document $1.
func conflicts(q dialect.Quoter, dst string, cols []string) string {
	eq := make([]string, len(cols))
	for i, c := range cols {
		eq[i] = "d." + q.QuoteIdent(c) + " = r." + q.QuoteIdent(c)
	}
	return "DELETE FROM " + dst + " AS d USING json_populate_recordset(NULL::" + dst + ", $1::json) AS r WHERE " + strings.Join(eq, " AND ")
}

// Close releases both connections' pools.
func (s *databaseSync) Close() error {
	return errors.Join(s.conn.Close(), s.release())
}

// positionsSQL lists the sequences of schema $1 with their last value,
// NULL for a sequence that never handed one out.
const positionsSQL = `SELECT sequencename, last_value FROM pg_catalog.pg_sequences WHERE schemaname = $1`

// syncSequences sets each sequence of to's schema to the last value of
// the sequence of the same name in from's, where that one handed values
// out.
func syncSequences(ctx context.Context, from, to *dialect.Database) error {
	positions := func(db *dialect.Database) (map[string]sql.NullInt64, error) {
		out := map[string]sql.NullInt64{}
		err := snapcopy.Each(ctx, db.DB, positionsSQL, []any{db.Schema}, func(r *sql.Rows) error {
			var (
				n    string
				last sql.NullInt64
			)
			err := r.Scan(&n, &last)
			out[n] = last
			return err
		})
		return out, err
	}
	src, err := positions(from)
	if err != nil {
		return err
	}
	dst, err := positions(to)
	if err != nil {
		return err
	}
	for n, last := range src {
		if _, ok := dst[n]; !ok || !last.Valid {
			continue
		}
		target := quoteLiteral(quoteIdent(to.Schema) + "." + quoteIdent(n))
		if _, err := to.DB.ExecContext(ctx, "SELECT setval("+target+", $1, true)", last.Int64); err != nil {
			return fmt.Errorf("set sequence %q: %w", n, err)
		}
	}
	return nil
}

// SyncGenerators sets the destination's sequences to the source's
// positions.
func (s *databaseSync) SyncGenerators(ctx context.Context) error {
	if err := syncSequences(ctx, s.from, s.to); err != nil {
		return fmt.Errorf("sync sequences: %w", err)
	}
	return nil
}
