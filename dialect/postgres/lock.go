package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.SessionLock = (*Dialect)(nil)

// SessionLock marks the migration lock as the session's: closing the
// connection that holds it releases it.
func (d *Dialect) SessionLock() {}

// Lock takes the session advisory lock of db on conn with
// pg_advisory_lock, blocking until it is granted or ctx ends. The key is
// derived from "herd:", conn's current database and db.Schema (unless that
// is "" or "public", the database's default), so every tenant database or
// schema has its own lock. When ctx ends while waiting, the driver cancels
// the query and conn may be unusable afterwards; any lock granted in the
// meantime goes with its session. The returned function releases the lock
// on the same conn.
func (d *Dialect) Lock(ctx context.Context, conn *sql.Conn, db *dialect.Database) (func(context.Context) error, error) {
	database, err := currentDatabase(ctx, conn)
	if err != nil {
		return nil, lockError(ctx, "lock", db, err)
	}
	key := lockKey(database, db.Schema)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", d.Unprepared(key)...); err != nil {
		return nil, lockError(ctx, "lock", db, err)
	}
	unlock := func(ctx context.Context) error {
		var released bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1)", d.Unprepared(key)...).Scan(&released); err != nil {
			return lockError(ctx, "unlock", db, err)
		}
		if !released {
			return lockError(ctx, "unlock", db, errors.New("lock not held by this connection"))
		}
		return nil
	}
	return unlock, nil
}

// currentDatabase returns the database conn is connected to: the one its
// pgx configuration names, which a connection cannot change, or, when that
// is left to the server's default, current_database().
func currentDatabase(ctx context.Context, conn *sql.Conn) (string, error) {
	var database string
	err := conn.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			database = c.Conn().Config().Database
		}
		return nil
	})
	if err != nil || database != "" {
		return database, err
	}
	err = conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&database)
	return database, err
}

// lockKey hashes the lock's name to the int64 key of pg_advisory_lock.
func lockKey(database, schema string) int64 {
	name := "herd:" + database
	if schema != "" && schema != "public" {
		name += "/" + schema
	}
	sum := sha256.Sum256([]byte(name))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// lockError names the database and, when ctx ended, wraps ctx's error so
// that callers can tell a cancellation from a failure.
func lockError(ctx context.Context, op string, db *dialect.Database, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return fmt.Errorf("postgres: %s %q: %w", op, db.Name, err)
}
