// Package dialect defines what herd needs from a database engine, as small
// role interfaces that each engine package (dialect/sqlite, dialect/postgres,
// dialect/mysql) implements. All engine-specific SQL lives in those packages;
// the rest of herd speaks only through these interfaces.
package dialect
