package dialect

import "context"

// InvalidIndex is an index that a failed online build left behind: the
// engine keeps it up to date on every write but never reads it, and a
// later CREATE INDEX ... IF NOT EXISTS of the same name skips it.
type InvalidIndex struct {
	// Schema, Table and Index name it.
	Schema, Table, Index string
	// Drop is the statement that drops it without blocking the table.
	Drop string
}

// IndexInspector is an optional capability of engines on which a failed
// online index build leaves its index behind, invalid (PostgreSQL's CREATE
// INDEX CONCURRENTLY).
type IndexInspector interface {
	// InvalidIndexes returns db's invalid indexes, in db.Schema when it
	// is set (a schema per tenant) and in every schema of the database
	// otherwise, ordered by schema, table and name. An index being built
	// concurrently at the time is among them.
	InvalidIndexes(ctx context.Context, db *Database) ([]InvalidIndex, error)
}
