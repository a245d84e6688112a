package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.LockWaits = (*Dialect)(nil)

// SessionID returns the backend process id of conn's session, which pgx
// learnt when it connected: no round trip.
func (d *Dialect) SessionID(_ context.Context, conn *sql.Conn) (int64, error) {
	var pid int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: session id: not a pgx connection (%T)", dc)
		}
		pid = int64(c.Conn().PgConn().PID())
		return nil
	})
	return pid, err
}

// lockWaitQuery finds the lock session $1 waits for and the first session
// holding it (pg_blocking_pids), with what that session runs or last ran.
const lockWaitQuery = `SELECT COALESCE(w.relation::regclass::text, w.locktype), b.pid, COALESCE(b.state, ''),
    LEFT(COALESCE(b.query, ''), 200), COALESCE(EXTRACT(EPOCH FROM now() - b.xact_start), 0)
FROM pg_catalog.pg_locks w
CROSS JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(w.pid)) AS blocker(pid)
JOIN pg_catalog.pg_stat_activity b ON b.pid = blocker.pid
WHERE w.pid = $1 AND NOT w.granted
LIMIT 1`

// LockWait describes the lock session waits for: the table (or the kind
// of lock) and the session holding it, its state, its query and how long
// its transaction has been open.
func (d *Dialect) LockWait(ctx context.Context, db *sql.DB, session int64) (string, error) {
	var (
		on, state, query string
		holder           int64
		open             float64
	)
	err := db.QueryRowContext(ctx, lockWaitQuery, d.Unprepared(session)...).Scan(&on, &holder, &state, &query, &open)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("postgres: read the lock session %d waits for: %w", session, err)
	}
	doing := "running"
	if strings.HasPrefix(state, "idle") {
		doing = "last query"
	}
	return fmt.Sprintf("on %s, held by session %d, %s, transaction open %s, %s %q",
		on, holder, state, time.Duration(open*float64(time.Second)).Round(time.Second), doing, query), nil
}
