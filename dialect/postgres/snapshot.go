package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Snapshotter = (*Server)(nil)

// databaseSchema is the schema a tenant database's objects live in.
const databaseSchema = "public"

// cleanupTimeout bounds the removal of a failed copy, which runs even when
// the caller's context has ended.
const cleanupTimeout = time.Minute

// Snapshot copies tenant src into the new tenant dst.
//
// With schema-per-tenant tenancy, the copy is one REPEATABLE READ
// transaction on the DSN's database: it creates schema dst, recreates src's
// objects there and copies every table with INSERT … SELECT, so the copy
// is consistent and appears whole or not at all.
//
// With database-per-tenant tenancy, it creates database dst (never from a
// TEMPLATE, which fails while the application is connected to src), reads
// src's public schema and every row inside one REPEATABLE READ READ ONLY
// transaction on src, and writes them through one transaction on dst, each
// table streamed with COPY. It also creates src's extensions in dst.
//
// What is copied: enum types; sequences with their options, owners and
// positions; tables (UNLOGGED, storage options) with their columns, types,
// collations, defaults, NOT NULL, identity (with its sequence's name,
// options and position) and generated columns; primary key, unique,
// exclusion and check constraints; indexes; foreign keys (added after the
// rows); and views (with their options). Not copied: comments, grants and
// ownership (objects belong to the connecting role), tablespaces, column
// storage and statistics settings, replica identity, extended statistics
// objects, and defaults set on view columns.
// A source holding objects that a copy would lose — functions, triggers,
// rules, row security policies, domains, range and composite types,
// materialized views, partitioned, inherited or foreign tables, and (in a
// tenant database) schemas other than public — is refused, naming them.
//
// Sequences are not transactional, so their positions are read as of the
// copy, not the snapshot: never behind a copied row. It fails if dst
// exists; on failure, dst is dropped.
func (s *Server) Snapshot(ctx context.Context, src, dst string) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: snapshot %s %q to %q on server %q: %w", s.kind(), src, dst, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, src); err != nil {
		return fail(err)
	}
	if err := s.copyTenant(ctx, src, dst, false); err != nil {
		return fail(err)
	}
	return nil
}

// Restore makes tenant target a copy of snapshot, which it leaves intact.
// It is one transaction on the target with either tenancy, so a failed
// restore leaves the target as it was, and the application sees the old
// contents or the restored ones, never a mix. It waits for the
// application's transactions on the target's tables (each lock at most
// DefaultLockTimeout) and blocks its queries until it commits; it kills no
// session, so the caller's own, holding the tenant's migration lock,
// survives.
//
// With schema-per-tenant tenancy, the transaction drops schema target
// (CASCADE), creates it again and copies the snapshot schema into it with
// INSERT … SELECT. With database-per-tenant tenancy, it drops every object
// of the target but its extensions (other schemas, then public's tables,
// views, sequences, routines and types; public itself keeps its owner and
// privileges), then copies the snapshot database into it as Snapshot does;
// extensions the target has and the snapshot lacks stay.
//
// target need not exist: it is created, and dropped again if the copy
// fails. What is copied is what Snapshot copies.
func (s *Server) Restore(ctx context.Context, snapshot, target string) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: restore %s %q from snapshot %q on server %q: %w", s.kind(), target, snapshot, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(snapshot, target, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, snapshot); err != nil {
		return fail(fmt.Errorf("snapshot: %w", err))
	}
	if err := s.copyTenant(ctx, snapshot, target, true); err != nil {
		return fail(err)
	}
	return nil
}

// mustExist fails unless the tenant name exists.
func (s *Server) mustExist(ctx context.Context, name string) error {
	switch ok, err := s.exists(ctx, name); {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("%s %q does not exist", s.kind(), name)
	}
	return nil
}

// copyTenant copies tenant from into tenant to, which must not exist
// unless replace is set, in which case it is dropped first.
func (s *Server) copyTenant(ctx context.Context, from, to string, replace bool) error {
	if s.tenancy == dialect.SchemaPerTenant {
		return s.copySchema(ctx, from, to, replace)
	}
	return s.copyDatabase(ctx, from, to, replace)
}

// copySchema copies schema from into schema to in one transaction on the
// server's own pool.
func (s *Server) copySchema(ctx context.Context, from, to string, replace bool) error {
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	stmts := []string{fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", DefaultLockTimeout.Milliseconds())}
	if replace {
		stmts = append(stmts, "DROP SCHEMA IF EXISTS "+quoteIdent(to)+" CASCADE")
	}
	stmts = append(stmts, "CREATE SCHEMA "+quoteIdent(to), "SET LOCAL search_path = "+quoteIdent(from))
	if err := execAll(ctx, tx, stmts...); err != nil {
		return err
	}
	cat, err := readCatalog(ctx, tx, from, false)
	if err != nil {
		return err
	}
	if err := execAll(ctx, tx, "SET LOCAL search_path = "+quoteIdent(to)); err != nil {
		return err
	}
	copyRows := func(ctx context.Context, table string, cols []column) error {
		// A table whose columns are all generated (or that has none)
		// still has rows: SELECT with no columns copies them. A value
		// of a type defined in the schema (an enum) goes through its
		// text form to the target's namesake type.
		exprs := make([]string, len(cols))
		for i, c := range cols {
			exprs[i] = quoteIdent(c.name)
			if c.localType {
				exprs[i] += "::text::" + c.typ
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO "+quoteIdent(to)+"."+quoteIdent(table)+columnList(cols)+
			" OVERRIDING SYSTEM VALUE SELECT "+strings.Join(exprs, ", ")+" FROM "+quoteIdent(from)+"."+quoteIdent(table))
		return err
	}
	if err := build(ctx, tx, cat, to, copyRows); err != nil {
		return err
	}
	return tx.Commit()
}

// copyDatabase copies database from into database to: the reads in one
// REPEATABLE READ READ ONLY transaction on from, the writes in one
// transaction on to, every table's rows streamed with COPY. Without
// replace, it creates to, which must not exist. With replace, it creates
// to if it is missing, else empties it in the writing transaction, so that
// a failed restore leaves it as it was. When it fails after creating to, it
// drops to.
func (s *Server) copyDatabase(ctx context.Context, from, to string, replace bool) (err error) {
	create := !replace
	if replace {
		ok, err := s.exists(ctx, to)
		if err != nil {
			return err
		}
		create = !ok
	}
	if create {
		if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(to)); err != nil {
			return err
		}
		defer func() {
			if err == nil {
				return
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if _, derr := s.admin.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(to)+" WITH (FORCE)"); derr != nil {
				err = fmt.Errorf("%w (and dropping the incomplete %q failed: %v)", err, to, derr)
			}
		}()
	}

	fromConn, closeFrom, err := s.connectTo(ctx, from)
	if err != nil {
		return err
	}
	defer closeFrom()
	toConn, closeTo, err := s.connectTo(ctx, to)
	if err != nil {
		return err
	}
	defer closeTo()

	rtx, err := fromConn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer rtx.Rollback() //nolint:errcheck // read only
	if err := execAll(ctx, rtx, "SET LOCAL search_path = "+quoteIdent(databaseSchema)); err != nil {
		return err
	}
	cat, err := readCatalog(ctx, rtx, databaseSchema, true)
	if err != nil {
		return err
	}
	wtx, err := toConn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer wtx.Rollback() //nolint:errcheck // after Commit, a no-op
	if err := execAll(ctx, wtx, "SET LOCAL search_path = "+quoteIdent(databaseSchema),
		fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", DefaultLockTimeout.Milliseconds())); err != nil {
		return err
	}
	if !create {
		if err := emptyDatabase(ctx, wtx); err != nil {
			return fmt.Errorf("empty %q: %w", to, err)
		}
	}
	copyRows := func(ctx context.Context, table string, cols []column) error {
		name := quoteIdent(databaseSchema) + "." + quoteIdent(table) + columnList(cols)
		return pipe(ctx, fromConn, toConn, "COPY "+name+" TO STDOUT", "COPY "+name+" FROM STDIN")
	}
	if err := build(ctx, wtx, cat, databaseSchema, copyRows); err != nil {
		return err
	}
	if err := wtx.Commit(); err != nil {
		return err
	}
	return rtx.Commit()
}

// emptySQL renders the statements that drop every object of a tenant
// database that is not an extension's: schemas other than public, then
// public's tables and views, its sequences (those of identity columns are
// gone with their tables by then: IF EXISTS), routines and types.
var emptySQL = `SELECT stmt FROM (
	SELECT 1 AS o, 'DROP SCHEMA IF EXISTS ' || quote_ident(n.nspname) || ' CASCADE' AS stmt FROM pg_catalog.pg_namespace n
	WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension x WHERE x.extnamespace = n.oid)
		AND ` + notExtension("pg_namespace", "n") + `
	UNION ALL
	SELECT CASE c.relkind WHEN 'S' THEN 3 ELSE 2 END, 'DROP ' || CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
		WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END || ' IF EXISTS public.' || quote_ident(c.relname) || ' CASCADE'
	FROM pg_catalog.pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		AND ` + notExtension("pg_class", "c") + `
	UNION ALL
	SELECT 4, CASE p.prokind WHEN 'a' THEN 'DROP AGGREGATE IF EXISTS ' ELSE 'DROP ROUTINE IF EXISTS ' END || 'public.' ||
		quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ') CASCADE'
	FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND ` + notExtension("pg_proc", "p") + `
	UNION ALL
	SELECT 5, CASE t.typtype WHEN 'd' THEN 'DROP DOMAIN IF EXISTS ' ELSE 'DROP TYPE IF EXISTS ' END || 'public.' ||
		quote_ident(t.typname) || ' CASCADE'
	FROM pg_catalog.pg_type t WHERE t.typnamespace = 'public'::regnamespace AND ` + notExtension("pg_type", "t") + `
		AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A')
			OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
) u ORDER BY o, stmt`

// emptyDatabase drops, through tx, every object of the connected tenant
// database but its extensions and the public schema itself (whose owner
// and privileges stay).
func emptyDatabase(ctx context.Context, tx *sql.Tx) error {
	var stmts []string
	err := snapcopy.Each(ctx, tx, emptySQL, nil, func(r *sql.Rows) error {
		var q string
		if err := r.Scan(&q); err != nil {
			return err
		}
		stmts = append(stmts, q)
		return nil
	})
	if err != nil {
		return err
	}
	return execAll(ctx, tx, stmts...)
}

// connectTo opens one connection to database name, on a pool of its own
// that the returned function closes.
func (s *Server) connectTo(ctx context.Context, name string) (*sql.Conn, func(), error) {
	config := s.config.Copy()
	config.Database = name
	db := s.pool(config)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, err
	}
	return conn, func() { _ = conn.Close(); _ = db.Close() }, nil
}

// pipe runs COPY … TO STDOUT on from and COPY … FROM STDIN on to at once,
// streaming the rows between them, within whatever transaction each
// connection is in.
func pipe(ctx context.Context, from, to *sql.Conn, out, in string) error {
	return from.Raw(func(fromDriver any) error {
		return to.Raw(func(toDriver any) error {
			src, ok1 := fromDriver.(*stdlib.Conn)
			dst, ok2 := toDriver.(*stdlib.Conn)
			if !ok1 || !ok2 {
				return errors.New("not a pgx connection")
			}
			return pipeConns(ctx, src.Conn().PgConn(), dst.Conn().PgConn(), out, in)
		})
	})
}

func pipeConns(ctx context.Context, from, to *pgconn.PgConn, out, in string) error {
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := from.CopyTo(ctx, w, out)
		_ = w.CloseWithError(err) // nil: the reader sees EOF
		done <- err
	}()
	_, err := to.CopyFrom(ctx, r, in)
	if err != nil {
		_ = r.CloseWithError(err) // stops the writer
	}
	outErr := <-done
	if outErr != nil && err != nil {
		return fmt.Errorf("%w (reading: %v)", err, outErr)
	}
	if outErr != nil {
		return outErr
	}
	return err
}

// columnList renders the names of cols as ` ("a", "b")`, or "" for no
// columns.
func columnList(cols []column) string {
	if len(cols) == 0 {
		return ""
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c.name)
	}
	return " (" + strings.Join(quoted, ", ") + ")"
}

// execer runs statements: *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func execAll(ctx context.Context, e execer, stmts ...string) error {
	for _, q := range stmts {
		if _, err := e.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
