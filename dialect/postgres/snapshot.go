package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Snapshotter = (*Server)(nil)

// databaseSchema is the schema a tenant database's objects live in.
const databaseSchema = "public"

// cleanupTimeout bounds the removal of a failed copy, which runs even when
// the caller's context has ended.
const cleanupTimeout = time.Minute

// Snapshot copies tenant src into the new tenant dst with PostgreSQL's own
// pg_dump and psql (from the postgresql-client package, of the server's
// major version or newer), so the copy holds everything pg_dump dumps:
// tables and their rows, defaults, identity columns and sequences at their
// positions, constraints, indexes, views, materialized views (refreshed
// from the copied rows), functions, procedures, aggregates, triggers,
// rules, domains, enum, composite and range types, inheritance and
// partitions, row security policies, comments, owners and privileges. The
// connecting role must be able to create what pg_dump writes, owners
// included (a superuser, or the owner of every object).
//
// pg_dump reads src in one REPEATABLE READ transaction, so the copy is
// consistent while the application writes, and psql loads it in one
// transaction (--single-transaction), so dst appears whole or not at all.
//
// With database-per-tenant tenancy, it creates database dst and pipes
// `pg_dump src` into `psql dst` (not CREATE DATABASE … TEMPLATE, which needs
// src without any other connection, and the caller's own, holding the
// tenant's migration lock, is one). With schema-per-tenant tenancy,
// pg_dump cannot rename a schema, so the schema takes a detour through a
// scratch database named dst: `pg_dump -n src` is loaded there, renamed to
// dst with ALTER SCHEMA (which moves every object, and references to it,
// with it), and `pg_dump -n dst` of the scratch database is loaded into the
// server's database; the scratch database is then dropped. Such a tenant
// schema must be self-contained: an object that needs another schema of
// the database (an extension's, say) cannot be loaded in the scratch
// database. Function bodies are text: a body that names src explicitly
// still names it in the copy.
//
// It fails if dst exists; on failure, nothing named dst is left.
func (s *Server) Snapshot(ctx context.Context, src, dst string) error {
	return s.copyTenant(ctx, "snapshot", src, dst)
}

// CopySchema copies tenant src into the new tenant dst as Snapshot does,
// without the rows (pg_dump --schema-only): materialized views are
// created without data.
func (s *Server) CopySchema(ctx context.Context, src, dst string) error {
	return s.copyTenant(ctx, "copy the schema of", src, dst, "--schema-only")
}

// copyTenant copies tenant src into the new tenant dst with pg_dump's
// extra arguments; what names the copy in errors.
func (s *Server) copyTenant(ctx context.Context, what, src, dst string, extra ...string) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: %s %s %q to %q on server %q: %w", what, s.kind(), src, dst, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, src); err != nil {
		return fail(err)
	}
	switch ok, err := s.exists(ctx, dst); {
	case err != nil:
		return fail(err)
	case ok:
		return fail(fmt.Errorf("%s %q exists", s.kind(), dst))
	}
	var err error
	if s.tenancy == dialect.SchemaPerTenant {
		err = s.snapshotSchema(ctx, src, dst, extra...)
	} else {
		err = s.withNewDatabase(ctx, dst, true, func() error {
			return s.pipe(ctx, s.dump(src, extra...), "", s.load(dst))
		})
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// snapshotSchema copies schema src of the server's database into the new
// schema dst through a scratch database named dst, with pg_dump's extra
// arguments.
func (s *Server) snapshotSchema(ctx context.Context, src, dst string, extra ...string) error {
	main := s.config.Database
	return s.withNewDatabase(ctx, dst, false, func() error {
		if err := s.pipe(ctx, s.dump(main, append(extra, "--schema="+quoteIdent(src))...), "", s.load(dst)); err != nil {
			return fmt.Errorf("into scratch database %q: %w", dst, err)
		}
		conn, closeConn, err := s.connectTo(ctx, dst)
		if err != nil {
			return err
		}
		defer closeConn()
		if _, err := conn.ExecContext(ctx, "ALTER SCHEMA "+quoteIdent(src)+" RENAME TO "+quoteIdent(dst)); err != nil {
			return fmt.Errorf("rename in scratch database %q: %w", dst, err)
		}
		return s.pipe(ctx, s.dump(dst, append(extra, "--schema="+quoteIdent(dst))...), "", s.load(main))
	})
}

// withNewDatabase creates database name, runs fn, and drops name again
// when fn fails, or always unless keep is set.
func (s *Server) withNewDatabase(ctx context.Context, name string, keep bool, fn func() error) (err error) {
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		return err
	}
	defer func() {
		if err == nil && keep {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, derr := s.admin.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)"); derr != nil {
			err = fmt.Errorf("%w (and dropping database %q failed: %v)", err, name, derr)
		}
	}()
	return fn()
}

// Restore makes tenant target a copy of snapshot, which it leaves intact,
// with pg_dump and psql, loaded in one transaction (psql
// --single-transaction) that first empties the target: a failed restore
// leaves the target as it was, and the application sees the old contents
// or the restored ones, never a mix. The transaction waits for the
// application's transactions on the target's objects (each lock at most
// DefaultLockTimeout) and blocks its queries until it commits; it kills
// no session, so the caller's own, holding the tenant's migration lock,
// survives.
//
// With database-per-tenant tenancy, the transaction drops every object of
// the target but its extensions (other schemas, then public's tables,
// views, sequences, routines and types; public itself keeps its owner and
// privileges) and loads `pg_dump snapshot`; extensions the target has and
// the snapshot lacks stay. With schema-per-tenant tenancy, the snapshot is
// first dumped to a temporary file (`pg_dump -n snapshot`); the
// transaction then drops schema target, renames schema snapshot to target
// (the restored tenant is the snapshot's own objects, untouched) and loads
// the dump, which creates schema snapshot again, intact.
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
	var err error
	if s.tenancy == dialect.SchemaPerTenant {
		err = s.restoreSchema(ctx, snapshot, target)
	} else {
		err = s.restoreDatabase(ctx, snapshot, target)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// lockTimeout bounds each lock the restoring transaction waits for; the
// dump's own SETs come after the emptying statements.
func lockTimeout() string {
	return fmt.Sprintf("SET lock_timeout = '%dms';\n", DefaultLockTimeout.Milliseconds())
}

// restoreDatabase restores database snapshot over database target.
func (s *Server) restoreDatabase(ctx context.Context, snapshot, target string) error {
	ok, err := s.exists(ctx, target)
	if err != nil {
		return err
	}
	if !ok {
		return s.withNewDatabase(ctx, target, true, func() error {
			return s.pipe(ctx, s.dump(snapshot), "", s.load(target))
		})
	}
	conn, closeConn, err := s.connectTo(ctx, target)
	if err != nil {
		return err
	}
	defer closeConn()
	drops, err := emptyingStatements(ctx, conn)
	if err != nil {
		return fmt.Errorf("list the objects of %q: %w", target, err)
	}
	closeConn() // psql's transaction must not wait for this session
	prelude := lockTimeout() + strings.Join(drops, ";\n") + ";\n"
	return s.pipe(ctx, s.dump(snapshot), prelude, s.load(target))
}

// restoreSchema restores schema snapshot over schema target.
func (s *Server) restoreSchema(ctx context.Context, snapshot, target string) error {
	// The dump must be whole before the transaction renames the schema
	// it describes.
	f, err := os.CreateTemp("", "herd-restore-*.sql")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := s.run(ctx, s.dump(s.config.Database, "--schema="+quoteIdent(snapshot)), nil, f); err != nil {
		return err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	prelude := lockTimeout() +
		"DROP SCHEMA IF EXISTS " + quoteIdent(target) + " CASCADE;\n" +
		"ALTER SCHEMA " + quoteIdent(snapshot) + " RENAME TO " + quoteIdent(target) + ";\n"
	return s.run(ctx, s.load(s.config.Database), io.MultiReader(strings.NewReader(prelude), f), nil)
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
		AND (t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'b' AND t.typcategory <> 'A')
			OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
) u ORDER BY o, stmt`

// notExtension is a condition on the catalog row alias (of catalog) that
// holds unless the object belongs to an extension.
func notExtension(catalog, alias string) string {
	return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '" + catalog + "'::regclass AND e.objid = " +
		alias + ".oid AND e.deptype = 'e')"
}

// emptyingStatements lists, through conn, the statements that drop every
// object of the connected tenant database but its extensions and the
// public schema itself (whose owner and privileges stay).
func emptyingStatements(ctx context.Context, conn *sql.Conn) ([]string, error) {
	var stmts []string
	err := snapcopy.Each(ctx, conn, emptySQL, nil, func(r *sql.Rows) error {
		var q string
		if err := r.Scan(&q); err != nil {
			return err
		}
		stmts = append(stmts, q)
		return nil
	})
	return stmts, err
}

// connectTo opens one connection to database name, on a pool of its own
// that the returned function closes (calling it again is harmless).
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
