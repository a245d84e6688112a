package dialect

import "context"

// Snapshotter is an optional capability of a Server: consistent copies of one
// tenant database (or schema) into a sibling on the same server, and back.
// Every herd dialect implements it; dialecttest checks that.
//
// Names are chosen by the caller (herd uses "<db>_s<8 hex>") and follow the
// rules of Server.Create, including MaxNameLength. Both methods expect the
// caller to hold the tenant's migration lock, so that no migration changes
// the schema while it is copied. Implementations are safe for concurrent use
// on different tenants.
type Snapshotter interface {
	// Snapshot copies database src into a new database (or schema) dst, consistently
	// (one snapshot transaction), with tables, keys, indexes, defaults, foreign keys,
	// sequences / identity positions and AUTO_INCREMENT positions. dst must not exist.
	// On failure, nothing named dst is left behind, and the error says
	// what could not be copied (see CopyLimiter for what a dialect can
	// tell beforehand).
	Snapshot(ctx context.Context, src, dst string) error
	// Restore makes target's contents exactly those of snapshot (target is emptied, or
	// dropped and recreated, first); snapshot stays intact so it can be restored again.
	// target need not exist. A restore discards every write made to target
	// since the snapshot. When it fails, target is either as it was (where
	// the engine can restore atomically: SQLite, PostgreSQL) or missing
	// (MySQL, whose DDL is not transactional) — never silently partial —
	// and restoring again is the remedy. Each dialect documents what its
	// restore requires of connections open on target.
	Restore(ctx context.Context, snapshot, target string) error
}

// SchemaDumper is an optional capability of a Server: the engine's own
// description of everything one tenant (or snapshot) holds but its rows,
// so that a restore can be checked against the snapshot it came from.
// Every herd dialect implements it.
type SchemaDumper interface {
	// SchemaDump returns the schema of tenant name as the engine's own
	// tool dumps it (PostgreSQL: pg_dump --schema-only, then each
	// sequence's position; MySQL: mariadb-dump --no-data --routines
	// --triggers --events, AUTO_INCREMENT positions included; SQLite:
	// sqlite_master, then sqlite_sequence), with name itself replaced by
	// "<tenant>" and what differs between two dumps of one schema (dates,
	// versions) removed: a faithful copy dumps identically. It fails when
	// the tool or the catalog cannot be read.
	SchemaDump(ctx context.Context, name string) (string, error)
}

// Inspector is an optional capability of a Dialect: a normalised
// description of the tables of one database, so that two databases of one
// engine (a tenant and its snapshot, say) can be compared. Every herd
// dialect implements it.
type Inspector interface {
	// Tables describes the base tables of db (of db.Schema when it is
	// set), asking through q (db.DB, or a connection of db's already
	// held, which spares opening another), sorted by name; views are not
	// included. Names in the description never carry db's own database or
	// schema name, so a copy of db describes itself identically. It fails
	// when the catalog cannot be read.
	Tables(ctx context.Context, q Queryer, db *Database) ([]Table, error)
	// Views describes the views of db (of db.Schema when it is set),
	// asking through q, sorted by name, with the same rule for names as
	// Tables.
	Views(ctx context.Context, q Queryer, db *Database) ([]View, error)
	// HasTables reports whether db (db.Schema when it is set) holds a
	// table or view whose name does not begin with except, asking through
	// q in one query that reads no column, index or constraint: the cheap
	// way to tell that Tables and Views would describe nothing (but
	// except's tables). It may count what they leave out (an extension's
	// table, say), never the other way round.
	HasTables(ctx context.Context, q Queryer, db *Database, except string) (bool, error)
}

// SchemaStamper is an optional capability of an Inspector: a stamp of
// a database's schema read in one cheap query, where describing it
// (Tables and Views) takes several. Two stamps of one database are equal
// only if nothing Tables and Views describe changed between the two
// reads; they may differ when nothing they describe did. Stamps of two
// databases are not comparable. herd records a tenant's stamp when a run
// leaves it at its version's reference, so that the next run's pre-flight
// can tell in one query that it is still there (see herd's preflight).
//
// SQLite has it: its schema is the text of sqlite_schema. PostgreSQL and
// MySQL do not: no catalog counter changes with every DDL. On a session
// new to the database (each tenant's is), where the catalogs' caches are
// loaded either way, a digest of PostgreSQL's catalog rows that also
// covers what the schema's definitions name elsewhere costs nearly as
// much as describing the schema (9-10 ms against 10-14 ms); one of the
// schema's own rows alone costs about half (5.5-8 ms) but misses a rename
// elsewhere that a view or default names; and a run would read it twice
// (before, and in its commit).
type SchemaStamper interface {
	// SchemaStamp returns db's stamp (of db.Schema when it is set), asking
	// through q, as a string of at most 64 characters. Read in a
	// transaction, it includes that transaction's own changes.
	SchemaStamp(ctx context.Context, q Queryer, db *Database) (string, error)
}

// View describes one view.
type View struct {
	// Name is the view's name, unqualified.
	Name string
	// Definition is the view's query as the engine renders it, with runs
	// of white space made one space and db's own name left out, so that
	// one view created in two databases of one engine reads the same.
	Definition string
}

// Table describes one base table, as an Inspector normalises it. Two tables
// of one engine with equal descriptions have the same columns, keys,
// indexes and constraints.
type Table struct {
	// Name is the table's name, unqualified.
	Name string
	// Columns are in the table's column order.
	Columns []Column
	// PrimaryKey lists the primary key's columns in key order; it is empty
	// when the table has none.
	PrimaryKey []string
	// Indexes are the table's indexes other than the primary key's,
	// including those that back unique constraints, sorted by name.
	Indexes []Index
	// ForeignKeys are sorted by name, then by columns.
	ForeignKeys []ForeignKey
	// Checks are the table's check constraints, sorted by name, then by
	// expression (SQLite keeps no name for a check declared without a
	// CONSTRAINT clause).
	Checks []Check
}

// Column describes one column of a table.
type Column struct {
	// Name is the column's name.
	Name string
	// Type is the engine's rendering of the column's type, with its
	// length, precision or collation where the engine reports them.
	Type string
	// Nullable is false for NOT NULL columns.
	Nullable bool
	// HasDefault reports whether the column has a default; Default is its
	// expression as the engine renders it.
	HasDefault bool
	Default    string
	// Generated says how the engine fills the column, in the engine's own
	// words: "identity by default", "auto_increment", "stored generated:
	// expr", "on update current_timestamp()"; "" when it does not.
	Generated string
}

// Index describes one index of a table.
type Index struct {
	// Name is the index's name.
	Name string
	// Unique reports a unique index.
	Unique bool
	// Columns are the index's key parts in order: a column name, or an
	// expression, with any prefix length or DESC the engine reports.
	Columns []string
	// Definition is the engine's full rendering of the index (method,
	// predicate, options) where it has one, else "".
	Definition string
}

// ForeignKey describes one foreign key of a table.
type ForeignKey struct {
	// Name is the constraint's name ("" on SQLite, which does not keep
	// one that can be read back).
	Name string
	// Columns reference RefColumns of RefTable, in order.
	Columns []string
	// RefTable is the referenced table's name, qualified only when it is
	// in another database or schema than the table's own.
	RefTable   string
	RefColumns []string
	// OnUpdate and OnDelete are the referential actions in upper case
	// ("NO ACTION", "CASCADE", …).
	OnUpdate, OnDelete string
}

// Check describes one check constraint.
type Check struct {
	// Name is the constraint's name.
	Name string
	// Expr is the check expression as the engine renders it.
	Expr string
}

// CopyLimiter is an optional capability of a Snapshotter whose copy of a
// tenant can need what lies outside it. CopyLimits lists what in tenant
// name a snapshot cannot take along (PostgreSQL with a schema per tenant:
// objects that use types, functions or tables of another schema, which
// the scratch database the schema is renamed in lacks), so that herd can
// warn before a rollout counts on a rollback point. It returns nothing
// when a snapshot can be taken, and fails when the catalog cannot be read.
type CopyLimiter interface {
	CopyLimits(ctx context.Context, name string) ([]string, error)
}

// SchemaCopier is an optional capability of a Server: a copy of a tenant's
// schema without its rows, beside it, so that migrations can be rehearsed
// on what the tenant really holds (herd's pre-flight). Every herd dialect
// implements it.
type SchemaCopier interface {
	// CopySchema copies the schema of database (or schema) src without
	// its rows into the new database (or schema) dst: what Snapshot would
	// copy but the rows. dst must not exist; on failure, nothing named
	// dst is left behind.
	CopySchema(ctx context.Context, src, dst string) error
}
