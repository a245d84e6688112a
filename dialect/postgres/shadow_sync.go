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

// SyncRows opens a session between tenants src and dst. Each chunk of
// keys is one transaction on a connection to dst: DELETE the keys, DELETE
// the rows that collide with a copied one on a unique index, INSERT the
// copied ones. The rows go as one JSON document, read from src with
// json_agg and written with json_populate_recordset, so that every value
// goes through its type's text form: between databases (a database per
// tenant), where no statement reaches both, herd reads the document
// through a connection to src and passes it on; between schemas of one
// database, the document is a subquery of each statement and no row
// passes through herd. (An INSERT … SELECT across schemas would fail on
// a column whose type each schema defines for itself: an enum's value of
// one schema's type is not of the other's.)
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
	conn, err := replicaConn(ctx, to)
	if err != nil {
		_ = errors.Join(from.Close(), to.Close())
		return fail(err)
	}
	return &rowSync{from: from, to: to, conn: conn, sameDatabase: s.tenancy == dialect.SchemaPerTenant}, nil
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

// rowSync is PostgreSQL's dialect.RowSync.
type rowSync struct {
	from, to     *dialect.Database
	conn         *sql.Conn // on to, in replica mode
	sameDatabase bool      // schemas of one database: src is reachable from conn
}

// Sync syncs keys in chunks, each in one transaction.
func (s *rowSync) Sync(ctx context.Context, t dialect.Table, keys [][]any) error {
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("sync table %q: no primary key", t.Name)
	}
	q := New()
	cols := strings.Join(rowsync.Columns(q, t), ", ")
	dst := dialect.Qualify(q, s.to, t.Name)
	return rowsync.Chunks(keys, func(chunk [][]any) error {
		where, args := rowsync.Where(q, t.PrimaryKey, chunk, 1)
		read := "SELECT COALESCE(json_agg(r), '[]')::text FROM (SELECT " + cols + " FROM " + dialect.Qualify(q, s.from, t.Name) +
			" WHERE " + where + ") AS r"
		rows, rowArgs := "("+read+")::json", args
		if !s.sameDatabase {
			var doc string
			if err := s.from.DB.QueryRowContext(ctx, read, simple(args)...).Scan(&doc); err != nil {
				return fmt.Errorf("sync table %q: read: %w", t.Name, err)
			}
			rows, rowArgs = "$1::json", []any{doc}
		}
		copied := "json_populate_recordset(NULL::" + dst + ", " + rows + ")"
		stmts := []statement{{"DELETE FROM " + dst + " WHERE " + where, args}}
		for _, u := range rowsync.UniqueKeys(t) {
			stmts = append(stmts, statement{conflicts(q, dst, copied, u), rowArgs})
		}
		stmts = append(stmts, statement{"INSERT INTO " + dst + " (" + cols + ")" + overriding + " SELECT " + cols + " FROM " + copied, rowArgs})
		tx, err := s.conn.BeginTx(ctx, s.txOptions())
		if err != nil {
			return fmt.Errorf("sync table %q: %w", t.Name, err)
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.query, simple(st.args)...); err != nil {
				return fmt.Errorf("sync table %q: %w", t.Name, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sync table %q: commit: %w", t.Name, err)
		}
		return nil
	})
}

// txOptions are the options of a chunk's transaction. Between schemas of
// one database each statement reads src again, and READ COMMITTED would
// let an application's commit land between them: the DELETE of the rows
// that collide with a copied one would see one version of src's rows and
// the INSERT another (a unique value handed from one row to another),
// which fails on the unique index. REPEATABLE READ gives the whole chunk
// one snapshot of src; nothing but herd writes dst, so it cannot fail to
// serialize.
func (s *rowSync) txOptions() *sql.TxOptions {
	if s.sameDatabase {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
	}
	return nil
}

// statement is one statement of a chunk's transaction, with its
// arguments.
type statement struct {
	query string
	args  []any
}

// conflicts returns the DELETE of the rows of table dst whose columns
// cols hold the values of a row of copied (a json_populate_recordset).
func conflicts(q dialect.Quoter, dst, copied string, cols []string) string {
	eq := make([]string, len(cols))
	for i, c := range cols {
		eq[i] = "d." + q.QuoteIdent(c) + " = r." + q.QuoteIdent(c)
	}
	return "DELETE FROM " + dst + " AS d USING " + copied + " AS r WHERE " + strings.Join(eq, " AND ")
}

// SyncGenerators sets the destination's sequences to the source's
// positions.
func (s *rowSync) SyncGenerators(ctx context.Context) error {
	if err := syncSequences(ctx, s.from, s.to); err != nil {
		return fmt.Errorf("sync sequences: %w", err)
	}
	return nil
}

// Close releases the connection and both pools.
func (s *rowSync) Close() error {
	return errors.Join(s.conn.Close(), s.from.Close(), s.to.Close())
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
