// Package ddl renders the DDL of dialect.SchemaWriter once for every
// engine: a Writer holds what all engines write alike (CREATE TABLE,
// ADD COLUMN, ADD CONSTRAINT, the table rebuild) and takes what differs
// between them as hooks that each dialect sets.
//
// It is internal to herd's dialects.
package ddl
