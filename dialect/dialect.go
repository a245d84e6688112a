package dialect

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"time"

	"github.com/herdhq/herd/internal/sqlsplit"
)

// Dialect is one database engine, composed of the roles herd uses.
// Implementations are safe for concurrent use.
type Dialect interface {
	// Name is the engine's short name: "sqlite", "postgres" or "mysql". It
	// is also the suffix of dialect-specific migration files
	// (004_x.postgres.up.sql).
	Name() string
	Quoter
	Splitter
	Connector
	Locker
	LedgerSQL
	// ControlSchema returns herd's own control-database migrations for this
	// engine, as the system target of a migration source
	// (system/v1.0.0/001_x.up.sql).
	ControlSchema() fs.FS
	// ControlQueries returns herd's queries on the control database for
	// this engine, written out in full: a text of queries that each start
	// with a "-- name: NAME" line.
	ControlQueries() string
}

// Named returns the dialect of ds whose Name is name, or nil when none is.
func Named(ds []Dialect, name string) Dialect {
	for _, d := range ds {
		if d.Name() == name {
			return d
		}
	}
	return nil
}

// Quoter renders identifiers and placeholders for one engine.
type Quoter interface {
	// QuoteIdent quotes one identifier (a database, schema, table or
	// column name) so that it is safe to splice into SQL.
	QuoteIdent(name string) string
	// Placeholder returns the n-th (1-based) bind parameter marker.
	Placeholder(n int) string
}

// Splitter reads SQL by the engine's lexical rules (its quotes, comments,
// delimiters and bodies): it is the one way herd cuts a script into
// statements and a statement into words.
type Splitter interface {
	// Split returns the statements of script in order, each with the line
	// it starts on. It fails on an unterminated string, comment or body,
	// naming the line.
	Split(script string) ([]sqlsplit.Statement, error)
	// Tokens returns the words, quoted names and punctuation of one
	// statement as Split returns it, without its comments. It fails as
	// Split does.
	Tokens(stmt string) ([]sqlsplit.Token, error)
}

// Connector opens servers: the connection targets that hold tenant
// databases (or schemas) and the control database.
type Connector interface {
	// OpenServer validates the DSN and returns a handle to the server.
	// It does not connect until a method of the Server is called, so a
	// malformed DSN fails here and an unreachable server fails later. Errors
	// never contain the DSN's password.
	OpenServer(ctx context.Context, cfg ServerConfig) (Server, error)
}

// Files is an optional capability of engines with no server to connect
// to, whose databases are files (SQLite): a folder is a server, so a fleet
// can be made out of paths alone.
type Files interface {
	// FileDSN returns the DSN of the database file, or of the server
	// folder, at path.
	FileDSN(path string) string
}

// Tenancy says how tenants are laid out on a server.
type Tenancy string

// The tenancies herd supports. SchemaPerTenant is available on PostgreSQL
// only.
const (
	DatabasePerTenant Tenancy = "database"
	SchemaPerTenant   Tenancy = "schema"
)

// ServerConfig names one connection target.
type ServerConfig struct {
	// Name is the server's name in herd.yaml, used in messages.
	Name string
	// DSN is the engine DSN without herd's scheme prefix handling applied:
	// "sqlite:PATH", "postgres://…" or "mysql://…".
	DSN string
	// Tenancy is DatabasePerTenant when empty.
	Tenancy Tenancy
}

// Server is one connection target. Implementations are safe for concurrent
// use.
type Server interface {
	// MaxNameLength is the longest database (or schema) name the engine
	// accepts without truncating it.
	MaxNameLength() int
	// Create creates the database (or schema) name; it fails if it exists.
	Create(ctx context.Context, name string) error
	// Exists reports whether the database (or schema) name exists.
	Exists(ctx context.Context, name string) (bool, error)
	// Drop removes the database (or schema) name and everything in it. It
	// is a no-op when name does not exist.
	Drop(ctx context.Context, name string) error
	// Open opens the database (or schema) name, which must exist. The
	// caller closes the returned Database.
	Open(ctx context.Context, name string) (*Database, error)
	// Control opens the database the DSN itself names, as the control (and
	// system) database. The caller closes the returned Database.
	Control(ctx context.Context) (*Database, error)
	// Redacted is the DSN with any password replaced by "xxxxx".
	Redacted() string
	// Close releases the server's shared resources.
	Close() error
}

// Database is one open database: a tenant's database or Postgres schema, or
// the control database. Its DB is scoped so that unqualified names resolve
// inside it.
type Database struct {
	// DB is the connection pool.
	DB *sql.DB
	// Name is the database name, schema name, or SQLite file path.
	Name string
	// Schema qualifies herd's own tables ("" for the engine's default).
	Schema string
	// close releases DB and anything else Open acquired.
	close func() error
}

// NewDatabase returns a Database whose Close calls closeFn. It is for dialect
// implementations.
func NewDatabase(db *sql.DB, name, schema string, closeFn func() error) *Database {
	return &Database{DB: db, Name: name, Schema: schema, close: closeFn}
}

// Close releases the database's connections.
func (d *Database) Close() error {
	if d.close == nil {
		return d.DB.Close()
	}
	return d.close()
}

// Locker takes the per-database migration lock. The lock is held by the
// given pinned connection, which is the one that then runs the migration: a
// lock taken on one pooled connection and released on another is no lock.
type Locker interface {
	// Lock blocks until the lock for db is held by conn, or ctx ends. The
	// lock is per database (or schema), never per server. The returned
	// function releases it.
	Lock(ctx context.Context, conn *sql.Conn, db *Database) (unlock func(context.Context) error, err error)
}

// LedgerSQL renders the DDL of herd's ledger table in a database.
type LedgerSQL interface {
	// CreateLedger returns the CREATE TABLE IF NOT EXISTS statement for a
	// ledger table with the given, already qualified and quoted, name. The
	// table's columns are:
	//   migration_id (primary key), version, kind, checksum, state,
	//   direction, statements_total, statements_done, statement_started,
	//   error, applied_at, execution_ms, chunk_key (text, NULL),
	//   chunk_rows (64-bit integer, NULL), note (text, NULL).
	CreateLedger(qualifiedTable string) string
	// UpgradeLedger returns the statements that bring a ledger table made
	// before its last columns (chunk_key and chunk_rows; note) up to
	// CreateLedger's, by adding them. herd runs each on a ledger that
	// lacks a column, and goes on past one that fails because its column
	// is there.
	UpgradeLedger(qualifiedTable string) []string
	// Upsert returns the clause that, appended to a multi-row INSERT,
	// makes a row whose key column is already taken overwrite columns of
	// the row that holds it, instead of failing: one statement, and one
	// round trip, that writes new and existing ledger rows alike. key and
	// columns are herd's own unquoted column names.
	Upsert(key string, columns []string) string
	// TableExists reports whether table exists in db (in db.Schema when it
	// is set), asking through q: db.DB, or a connection pinned from it. It
	// lets herd read a ledger without creating it.
	TableExists(ctx context.Context, q RowQuerier, db *Database, table string) (bool, error)
}

// RowQuerier runs a query that returns one row: a *sql.DB, *sql.Conn or
// *sql.Tx.
type RowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// TransactionalDDL is an optional capability: engines whose DDL runs inside
// a transaction and rolls back with it.
type TransactionalDDL interface {
	// TransactionalDDL reports whether DDL is transactional.
	TransactionalDDL() bool
}

// HasTransactionalDDL reports whether d runs DDL inside transactions.
func HasTransactionalDDL(d Dialect) bool {
	t, ok := d.(TransactionalDDL)
	return ok && t.TransactionalDDL()
}

// Unprepared is an optional capability of engines whose driver prepares
// a query with a round trip of its own before it runs it, and caches it
// on the connection (pgx). herd's own queries on a tenant database run
// about once per connection, so it asks for them to run unprepared.
type Unprepared interface {
	// Unprepared returns args with what tells the driver to run the
	// query they go with unprepared, in one round trip.
	Unprepared(args ...any) []any
}

// OneShot returns the arguments of a query that d should run unprepared:
// args as they are, unless d is Unprepared.
func OneShot(d Dialect, args ...any) []any {
	if u, ok := d.(Unprepared); ok {
		return u.Unprepared(args...)
	}
	return args
}

// KeyKind is how a chunked migration's key binds and compares.
type KeyKind string

// The kinds of key a chunked migration can walk.
const (
	KeyInteger KeyKind = "integer"
	KeyText    KeyKind = "text"
)

// ChunkKey describes the column a chunked migration walks, as the
// database's catalog has it.
type ChunkKey struct {
	// Found is false when the table, or its column, does not exist.
	Found bool
	// Type is the column's type as the catalog names it.
	Type string
	// Kind is KeyInteger or KeyText, or "" for a type herd cannot walk.
	Kind KeyKind
	// Unique is set when the primary key or a unique index (without a
	// predicate or prefix) covers the column alone.
	Unique bool
	// NotNull is set when the column cannot hold NULL.
	NotNull bool
}

// KeyInspector is an optional capability: engines that can describe the
// key column of a chunked migration.
type KeyInspector interface {
	// ChunkKey describes column of table in db (in db.Schema when it is
	// set, else where the session resolves unqualified names), asking
	// through q.
	ChunkKey(ctx context.Context, q RowQuerier, db *Database, table, column string) (ChunkKey, error)
}

// SessionGuard is an optional capability: engines that bound how long one
// migration statement may wait for a lock, so that it gives up (and herd
// retries it later) rather than queue the application's queries behind it.
type SessionGuard interface {
	// GuardSession bounds every lock wait of the statements run on conn
	// from now on to lockTimeout, as the engine counts it (see each
	// engine's GuardSession).
	GuardSession(ctx context.Context, conn *sql.Conn, lockTimeout time.Duration) error
	// LockTimedOut reports whether err is a statement that gave up
	// waiting for a lock at that bound; the statement changed nothing.
	LockTimedOut(err error) bool
}

// LockWaits is an optional capability of engines that can tell, from
// another connection, what lock a session waits for and who holds it.
type LockWaits interface {
	// SessionID returns the server's id of conn's session.
	SessionID(ctx context.Context, conn *sql.Conn) (int64, error)
	// LockWait describes, asking through db, the lock session waits for
	// and the session that holds it, or returns "" when it waits for none.
	LockWait(ctx context.Context, db *sql.DB, session int64) (string, error)
}

// Qualify returns table qualified by db's schema, both quoted by q.
func Qualify(q Quoter, db *Database, table string) string {
	if db.Schema == "" {
		return q.QuoteIdent(table)
	}
	return q.QuoteIdent(db.Schema) + "." + q.QuoteIdent(table)
}

// QualifyList is Qualify of each of tables, joined with ", ", as a
// statement that names several tables (ANALYZE) takes them.
func QualifyList(q Quoter, db *Database, tables []string) string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = Qualify(q, db, t)
	}
	return strings.Join(names, ", ")
}

// OnConflictUpdate is Upsert for the engines that share PostgreSQL's
// syntax (PostgreSQL, SQLite): ON CONFLICT (key) DO UPDATE SET c =
// excluded.c for each column.
func OnConflictUpdate(key string, columns []string) string {
	set := make([]string, len(columns))
	for i, c := range columns {
		set[i] = c + " = excluded." + c
	}
	return " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// Bind rewrites the ? markers of a portable query into q's placeholders.
// The query must not contain a literal question mark. Where q's
// placeholder is ? itself (SQLite, MySQL), the query is returned as it is.
func Bind(q Quoter, query string) string {
	if q.Placeholder(1) == "?" {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	for n := 1; ; n++ {
		i := strings.IndexByte(query, '?')
		if i < 0 {
			break
		}
		b.WriteString(query[:i])
		b.WriteString(q.Placeholder(n))
		query = query[i+1:]
	}
	b.WriteString(query)
	return b.String()
}

// InsertReturning is an optional capability: engines whose driver cannot
// report the id of an inserted row (LastInsertId), but whose INSERT can
// return it. The control queries of such an engine that make a row with
// an id return it.
type InsertReturning interface {
	// ReturningID is the clause appended to an INSERT to return the new
	// row's id column.
	ReturningID() string
}

// Analyzer is an optional capability of engines whose planner reads the
// statistics it keeps of each table, which a sudden load of rows (a
// tenant import, a benchmark's registry) leaves stale until the engine
// refreshes them on its own, if it does: PostgreSQL's ANALYZE (autovacuum
// may be off), MySQL's ANALYZE TABLE, SQLite's ANALYZE.
type Analyzer interface {
	// Analyze refreshes the statistics of db's tables (herd's own,
	// qualified with db.Schema) now.
	Analyze(ctx context.Context, db *Database, tables ...string) error
}

// ErrRunnerBusy is returned by RunnerGuard when another process runs
// rollouts on the same control database.
var ErrRunnerBusy = errors.New("another runner is working on this control database")

// RunnerGuard is an optional capability of engines whose control database
// serves one rollout runner process at a time (SQLite: one writer, and
// leases there could not span machines anyway).
type RunnerGuard interface {
	// GuardRunner takes the control database's runner lock without
	// waiting; it fails with ErrRunnerBusy when another process holds it.
	GuardRunner(db *Database) (release func() error, err error)
}

// QueryKiller is an optional capability of engines whose client cannot
// stop a running statement by cancelling it (MySQL: go-sql-driver drops the
// connection, and the statement runs on).
type QueryKiller interface {
	// SessionID returns the server's id of conn's session.
	SessionID(ctx context.Context, conn *sql.Conn) (int64, error)
	// KillQuery stops the statement running in session id, through another
	// connection of db, and waits until the session runs nothing.
	KillQuery(ctx context.Context, db *sql.DB, id int64) error
}

// SingleWriter is an optional marker of engines whose database takes one
// writing transaction at a time (SQLite). herd then queues its own writes
// to the control database in-process, instead of letting the engine's
// busy handler back off and sleep.
type SingleWriter interface {
	SingleWriter()
}

// SessionLock is an optional marker of engines whose migration lock
// (Locker) belongs to the server session of the connection that took it
// (PostgreSQL's session advisory locks, MySQL's GET_LOCK): the server
// releases it when that connection closes, so a session whose connection
// is closed anyway needs no unlock round trip.
type SessionLock interface {
	SessionLock()
}

// InProcess is an optional marker of engines that run inside herd's
// process and whose pools open connections as needed (SQLite): parsing a
// statement costs herd's own CPU there, so herd keeps its frequent control
// writes prepared, and preparing one while a transaction holds a
// connection never waits for another.
type InProcess interface {
	InProcess()
}

// Confinement is an optional capability of engines on which a statement
// of a migration can move its session out of the database (or schema)
// herd opened it in, so that unqualified names resolve, and new objects
// land, elsewhere: MySQL's USE, PostgreSQL's search_path, SQLite's ATTACH.
// herd checks the session after each statement that may move it when the
// statement is not in a transaction, and once before it records a
// migration that ran in one, and fails the migration when it has moved.
type Confinement interface {
	// MayLeave reports whether stmt, one statement of a migration as
	// Split returns it, may move the session: by its leading keywords on
	// engines where only a few statements can, and always where any
	// statement can (a PostgreSQL function may set search_path).
	MayLeave(stmt string) bool
	// Left returns where the session has gone, asking through q (the
	// session's connection or its open transaction), or "" while it is
	// still in db as herd opened it.
	Left(ctx context.Context, q RowQuerier, db *Database) (string, error)
}

// RowRewriters is an optional capability: engines that can list the
// tables whose rows something besides the statement that writes them
// rewrites (triggers, MySQL's ON UPDATE CURRENT_TIMESTAMP columns), whose
// old values no down migration can put back.
type RowRewriters interface {
	// RewritingTables returns the names of db's tables that have
	// triggers or columns set on update, asking through q.
	RewritingTables(ctx context.Context, q Querier, db *Database) ([]string, error)
}

// Querier runs a query that returns rows: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Queryer runs queries that return rows or one row: a *sql.DB, *sql.Conn
// or *sql.Tx.
type Queryer interface {
	Querier
	RowQuerier
}

// QueryStrings runs query through q and returns its first column.
func QueryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Lister is an optional capability of a Server: the names of its
// databases (or schemas) that start with a prefix, so that herd can find
// the scratch databases a killed run left behind. Every herd dialect
// implements it.
type Lister interface {
	// Databases returns the names of the server's databases (of its
	// database's schemas, with a schema per tenant) that start with
	// prefix, sorted.
	Databases(ctx context.Context, prefix string) ([]string, error)
}
