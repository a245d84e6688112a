// Package snapshot verifies rollback points: that a tenant database and its
// snapshot (or a tenant restored from one) hold the same schema and the
// same rows.
//
// Taking and restoring snapshots is the engines' work, through the
// dialect.Snapshotter capability of a server; describing a schema is the
// dialect.Inspector capability of a dialect. This package adds what is the
// same on every engine: the comparison of two descriptions, and per-table
// checksums computed in Go.
//
// # Checksums
//
// A table's checksum is the hex SHA-256 of its column names (sorted) and of
// every row, read in primary-key order (tables without a primary key: all
// rows, sorted by their encoding, so by all columns; such a table is held
// in memory while its checksum is computed). Values are
// normalised before they are hashed, so that the same data gives the same
// checksum whichever way the driver returns it: bytes and strings are the
// same, integers are decimal, floating-point numbers are in their
// shortest exact form, booleans are 1 and 0, and times are instants in
// UTC. NULL is distinct from every value, including the empty string.
//
// The encoding is versioned ("herd-checksum-v1"): checksums of one version
// can be compared across processes and machines, not across versions.
package snapshot
