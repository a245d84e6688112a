// Package sqlite is herd's dialect for SQLite, through the pure-Go driver
// modernc.org/sqlite: the embedded engine that herd's demo and quick start
// run on with no server.
//
// # Layout
//
// A server's DSN is "sqlite:PATH". For tenants, PATH is a folder and tenant
// name lives in the file PATH/name.db; Create makes the folder when needed.
// For the control database, Control opens PATH itself as a file, creating
// its parent folder. So a fleet has two server entries, one for the control
// file and one for the tenants' folder. Query parameters after PATH
// ("sqlite:PATH?_pragma=synchronous(NORMAL)") are passed to the driver
// after herd's own.
//
// # Connections
//
// Every pooled connection is set up by the DSN itself, so no connection
// misses a setting: WAL journal with synchronous=NORMAL (a commit is
// durable against a crash of the process; a power loss may roll the last
// commits back, whole — a migration with its ledger row, and the control
// database's fleet view is then reconciled from the ledgers), a busy
// timeout (10s), foreign keys on,
// write transactions that take the write lock when they begin
// (_txlock=immediate), and times written in UTC in SQLite's own text format
// (so they sort as text and read back as time.Time from columns declared
// TIMESTAMP).
//
// # Locking
//
// The migration lock of a database file is an exclusive flock on FILE.lock
// beside it. It is per file, held by the process rather than a connection,
// and released when the unlock function runs or the process ends.
//
// # Shadow migrations
//
// Change capture is four triggers per table; rows are synced from the
// tenant's file, ATTACHed to a connection on the shadow's, with INSERT OR
// REPLACE … SELECT, foreign keys off; the write freeze is BEGIN
// IMMEDIATE, which holds the file's write lock while readers go on (WAL).
// SQLite cannot hash in SQL: herd checksums its rows in Go. See
// docs/shadow.md.
package sqlite
