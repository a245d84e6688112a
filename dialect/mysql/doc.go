// Package mysql is herd's dialect for MySQL 8 and MariaDB 10.11, through
// github.com/go-sql-driver/mysql.
//
// # Servers and tenants
//
// A server's DSN is "mysql://user:password@host:port/database?params". It
// is turned into the driver's configuration with TCP, parseTime=true and
// multiStatements=false whatever the DSN says, and interpolateParams=true
// unless the DSN says otherwise (a query with arguments is then one round
// trip, not a prepare, an execute and a close; a []byte argument becomes a
// binary string literal, which a JSON column refuses, so Go migrations
// pass JSON as a string). The driver's own parameters (tls, timeout,
// charset, …) are honoured, and any other parameter is sent as a session
// variable (SET name=value) on every connection. Each tenant is a database
// on the server; Open connects to it and herd's tables are qualified with
// its name. Control opens the DSN's database.
//
// # What MySQL lacks
//
// DDL is not transactional: each DDL statement commits implicitly, so this
// dialect does not implement dialect.TransactionalDDL and herd records
// progress statement by statement. Cancelling a query in the driver leaves
// it running on the server, so nothing here waits on the server without a
// bound: the migration lock is taken with GET_LOCK(name, 1) in a loop.
//
// # Locking
//
// The migration lock is a named user lock, GET_LOCK, held by the caller's
// pinned connection. Its name is "herd:" and the hex SHA-256 of the
// database name, cut to MySQL's 64-character limit.
//
// # Shadow migrations
//
// Change capture is three triggers per table (none on a table whose
// foreign keys cascade: MySQL fires no trigger for those rows); rows are
// synced across databases with REPLACE … SELECT, foreign_key_checks off;
// the write freeze is LOCK TABLES … READ; table checksums sum the halves
// of each row's MD5. See docs/shadow.md.
package mysql
