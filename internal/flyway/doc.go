// Package flyway computes the checksum Flyway records of a SQL migration in
// flyway_schema_history, so that herd baseline can tell whether herd's file
// is the one Flyway ran, as flyway validate would.
package flyway
