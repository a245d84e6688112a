package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.SessionGuard = (*Dialect)(nil)

// GuardSession sets conn's busy timeout to lockTimeout, in whole
// milliseconds (zero or less: give up at once): how long a statement
// waits for another connection's lock on the database file before it
// fails with SQLITE_BUSY. The setting lasts for the connection.
func (d *Dialect) GuardSession(ctx context.Context, conn *sql.Conn, lockTimeout time.Duration) error {
	ms := max(lockTimeout.Milliseconds(), 0)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", ms)); err != nil {
		return fmt.Errorf("sqlite: set busy_timeout: %w", err)
	}
	return nil
}

// LockTimedOut reports whether err is SQLITE_BUSY (or one of its extended
// codes): the database file stayed locked for the whole busy timeout.
func (d *Dialect) LockTimedOut(err error) bool {
	e, ok := errors.AsType[*sqlite.Error](err)
	return ok && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
