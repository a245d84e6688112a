package dialect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"
)

// CaptureTable is the table, in a tenant under a shadow migration, where
// the capture triggers record the key of every row the application
// inserts, updates or deletes: seq (ascending, assigned by the engine),
// tbl (the table's name) and pk (the row's primary-key values as a JSON
// array, in key order; NULL when every row of the table may have changed:
// PostgreSQL records a TRUNCATE so, which no row trigger sees).
const CaptureTable = "herd_shadow_changes"

// CaptureTriggerPrefix starts the name of every object ChangeCapture
// makes besides CaptureTable (triggers, and PostgreSQL's trigger
// function), so that they can be found and removed by name.
const CaptureTriggerPrefix = "herd_shadow_"

// CaptureTriggerName names the capture trigger of table for one event
// (a short tag such as "i", "u" or "d") on engines that name triggers
// per database: the prefix, 12 hex digits of a hash of the table's name
// (any table name fits the engines' 64-character limits) and the tag.
func CaptureTriggerName(table, event string) string {
	sum := sha256.Sum256([]byte(table))
	return CaptureTriggerPrefix + hex.EncodeToString(sum[:6]) + "_" + event
}

// ChangeCapture is an optional capability of a Dialect: triggers that
// record, in CaptureTable of a tenant, the primary key of every row that
// is inserted, updated (the old key, and the new one when it changed) or
// deleted, so that a copy of the tenant taken after they exist can catch
// up with what changed since. Every herd dialect implements it.
type ChangeCapture interface {
	// InstallCapture creates CaptureTable in db (in db.Schema when it is
	// set) and a trigger on each of tables, which must all have a primary
	// key, in one transaction where the engine allows it. Each trigger
	// waits for the application's transactions open on its table (at
	// most the engine's default lock timeout), so that a write committed
	// after InstallCapture returns is captured. It fails if CaptureTable
	// exists.
	InstallCapture(ctx context.Context, db *Database, tables []Table) error
	// RemoveCapture drops every capture trigger (the objects named with
	// CaptureTriggerPrefix) and CaptureTable from db. It is a no-op when
	// there are none.
	RemoveCapture(ctx context.Context, db *Database) error
}

// RowSyncer is an optional capability of a Server: making chosen rows,
// by primary key, of a database (or schema) equal to those of another on
// the same server, with the engine's fastest path between the two. Every
// herd dialect implements it.
type RowSyncer interface {
	// SyncRows opens a session that copies rows from database src to
	// database dst (names as Server.Open takes them), which have the same
	// tables. The caller closes it.
	SyncRows(ctx context.Context, src, dst string) (RowSync, error)
}

// RowSync is a session of RowSyncer. It is not safe for concurrent use.
type RowSync interface {
	// Sync makes the rows of table t in dst whose primary key is one of
	// keys equal to those of src, in one transaction: it deletes them in
	// dst, then copies those that src has. Each key holds the values of
	// t.PrimaryKey's columns, in order, as strings, numbers, booleans or
	// nil (a key decoded from CaptureTable). Foreign keys are not
	// enforced in dst meanwhile (a parent's delete must not cascade to
	// rows that are synced on their own), and columns the engine
	// generates are left for it to compute. Syncing a key twice is
	// harmless.
	Sync(ctx context.Context, t Table, keys [][]any) error
	// SyncGenerators brings what generates keys in dst (PostgreSQL's
	// sequences, MySQL's AUTO_INCREMENT counters, SQLite's
	// sqlite_sequence) to src's positions, or past them where the engine
	// keeps a counter above the largest key (MySQL): rows copied with
	// their keys do not move them, and an insert into dst must not take a
	// key src has handed out. Generators only src has are left alone.
	SyncGenerators(ctx context.Context) error
	// Close ends the session and releases its connections.
	Close() error
}

// WriteFreezer is an optional capability of a Dialect: a lock, held by
// one pinned connection, that blocks writes to a tenant's tables but lets
// reads through. Every herd dialect implements it.
type WriteFreezer interface {
	// FreezeWrites blocks writes to tables of db (all of them on engines
	// whose lock is the whole database: SQLite) from other sessions, from
	// conn's session, waiting for writers already under way at most the
	// session's lock timeout (SessionGuard), after which it fails with an
	// error SessionGuard.LockTimedOut recognises. Reads of every table go
	// on meanwhile. release ends the freeze; the freeze also ends when
	// conn's session does, so a killed herd leaves none behind. conn must
	// not be used for anything else until release returns, but by
	// CaptureSealer.SealCapture. release commits what was done in the
	// freeze's transaction (the seal), where the freeze is one.
	FreezeWrites(ctx context.Context, conn *sql.Conn, db *Database, tables []string) (release func() error, err error)
}

// SealedMessage starts the message of the error every write to a sealed
// database fails with (see CaptureSealer): the tenant it held has moved
// to another database, which the application reaches by resolving the
// tenant again (router.Moved recognises the error).
const SealedMessage = "herd: sealed: the tenant moved"

// SealTrigger names the trigger (and on PostgreSQL its function) that
// seals a database: it starts with CaptureTriggerPrefix, so that
// ChangeCapture.RemoveCapture removes it with the capture.
const SealTrigger = CaptureTriggerPrefix + "sealed"

// CaptureSealer is an optional capability of a Dialect: sealing a
// database whose change capture is installed (ChangeCapture), so that
// every write to a table it captures fails: a trigger on CaptureTable
// refuses every row the capture triggers record. A shadow migration seals
// the database a tenant leaves at its switch, before the write freeze
// ends, so that the writes that waited for the freeze, and those of
// applications that still resolve the tenant to it, fail instead of
// landing where no one reads. Every herd dialect implements it.
type CaptureSealer interface {
	// SealCapture installs the seal in db, whose write freeze conn holds
	// (WriteFreezer.FreezeWrites): in the freeze's transaction where the
	// freeze is one (PostgreSQL, SQLite: the seal then commits as the
	// freeze's release ends it, so no write gets between the two), on a
	// connection of db otherwise (MySQL, whose LOCK TABLES leaves the
	// capture table free). Each write it refuses fails with an error
	// whose message is reason, which starts with SealedMessage, and with
	// SQLSTATE 25006 (read-only transaction) where the engine sets one.
	// RemoveCapture removes the seal with the capture.
	SealCapture(ctx context.Context, conn *sql.Conn, db *Database, reason string) error
	// Sealed reports whether db is sealed: its capture table has the
	// seal's trigger.
	Sealed(ctx context.Context, db *Database) (bool, error)
}

// TableChecksummer is an optional capability of a Dialect that can hash
// a table's rows in SQL, so that two copies of a table can be compared
// without pulling their rows into herd. SQLite, which has no hash
// function, lacks it.
type TableChecksummer interface {
	// TableChecksum returns the number of rows of table t in db and a
	// checksum over every column of every row, as the engine renders
	// them: two tables of one server with the same rows have the same
	// checksum. It fails when the table cannot be read.
	TableChecksum(ctx context.Context, db *Database, t Table) (rows int64, sum string, err error)
}

// CaptureLockTimeout bounds how long ChangeCapture waits for the lock on
// each table it puts a trigger on: the application's writes to that
// table queue behind the wait, so it gives up early, and the caller tries
// again later.
const CaptureLockTimeout = 5 * time.Second

// NameSwapper is an optional capability of a Server whose tenants can
// swap names in a transaction that the application's connections follow
// at once, by name: PostgreSQL with a schema per tenant (a connection's
// search_path names the schema, resolved again by every statement, and
// renaming a schema invalidates the plans cached on it). A shadow
// migration's switch then renames instead of moving the registry, so
// that an application that reaches the tenant by its name, not through
// the router, follows it too. Engines whose renames break open sessions
// (PostgreSQL's databases: ALTER DATABASE … RENAME needs no one connected)
// or cannot move what a tenant holds (MySQL's RENAME TABLE cannot move a
// table that has triggers, as herd's change capture puts on every table,
// nor views or routines) do not implement it, or report false.
type NameSwapper interface {
	// SwapsNames reports whether this server's tenants swap names.
	SwapsNames() bool
	// SwapNames, on conn, in the transaction of the write freeze it holds
	// on database live (WriteFreezer.FreezeWrites; committed by its
	// release), renames live to old, then other to live, and points
	// herd's change capture in each at its new name, so that each
	// database's capture triggers go on writing to its own CaptureTable.
	// old must not exist.
	SwapNames(ctx context.Context, conn *sql.Conn, live, other, old string) error
}
