// Package dumptool runs an engine's own dump and load programs (pg_dump and
// psql, mariadb-dump and mariadb) for herd's snapshots: found on PATH, run
// under a context, with the connection's password passed in the
// environment, never on the command line, and with errors that name the
// program and quote the end of what it wrote to stderr.
//
// It is internal to herd's dialects.
package dumptool
