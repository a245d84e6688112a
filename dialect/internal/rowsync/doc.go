// Package rowsync holds what the engines' row synchronisation (a shadow
// migration's catch-up, dialect.RowSync) shares: the predicate that
// selects rows by primary key, the columns a copy writes, and the session
// of the engines that reach both databases from one connection and
// replace colliding rows as they insert (MySQL across databases, SQLite
// with ATTACH).
//
// It is internal to herd's dialects.
package rowsync
