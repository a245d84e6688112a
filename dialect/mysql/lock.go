package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.SessionLock = (*Dialect)(nil)

// SessionLock marks the migration lock as the session's: closing the
// connection that holds it releases it.
func (d *Dialect) SessionLock() {}

// lockAttempt is how long one GET_LOCK waits on the server. It bounds how
// long Lock outlives a cancelled ctx.
const lockAttempt = 1 // second

// maxLockName is MySQL's limit on user-lock names.
const maxLockName = 64

// Lock takes the user lock of db.Name on conn with GET_LOCK(name, 1),
// retrying until it is granted or ctx ends. Each attempt waits at most a
// second on the server and is not cancelled mid-query (the driver would
// leave it running server-side and break conn), so Lock returns within
// about a second of ctx ending, with conn still usable. The returned
// function releases the lock with RELEASE_LOCK on the same conn.
func (d *Dialect) Lock(ctx context.Context, conn *sql.Conn, db *dialect.Database) (func(context.Context) error, error) {
	name := lockName(db.Name)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("mysql: lock %q: %w", db.Name, err)
		}
		got, err := getLock(ctx, conn, name)
		if err != nil {
			return nil, fmt.Errorf("mysql: lock %q: %w", db.Name, err)
		}
		if got {
			break
		}
	}
	unlock := func(ctx context.Context) error {
		var released sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK(?)", name).Scan(&released); err != nil {
			return fmt.Errorf("mysql: unlock %q: %w", db.Name, err)
		}
		if !released.Valid || released.Int64 != 1 {
			return fmt.Errorf("mysql: unlock %q: %w", db.Name, errors.New("lock not held by this connection"))
		}
		return nil
	}
	return unlock, nil
}

// getLock makes one GET_LOCK attempt. It runs without ctx's cancellation
// but with a deadline past the server-side wait, so a dead connection
// cannot hang it.
func getLock(ctx context.Context, conn *sql.Conn, name string) (bool, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockAttempt*time.Second+30*time.Second)
	defer cancel()
	var got sql.NullInt64
	if err := conn.QueryRowContext(qctx, "SELECT GET_LOCK(?, ?)", name, lockAttempt).Scan(&got); err != nil {
		return false, err
	}
	if !got.Valid {
		return false, errors.New("GET_LOCK returned NULL")
	}
	return got.Int64 == 1, nil
}

// lockName is "herd:" and the hex SHA-256 of database, cut to 64
// characters.
func lockName(database string) string {
	sum := sha256.Sum256([]byte(database))
	name := "herd:" + hex.EncodeToString(sum[:])
	return name[:maxLockName]
}
