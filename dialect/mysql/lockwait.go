package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.LockWaits = (*Dialect)(nil)

// lockWaitQuery reads what session ? is doing and, when it waits for a
// lock, the oldest other open transaction: MySQL and MariaDB name the
// holder of a metadata lock only through optional instrumentation, and
// the oldest open transaction is the usual one.
const lockWaitQuery = `SELECT COALESCE(w.STATE, ''), COALESCE(t.trx_mysql_thread_id, 0),
    COALESCE(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), 0), COALESCE(LEFT(t.trx_query, 200), '')
FROM information_schema.PROCESSLIST w
LEFT JOIN (SELECT trx_mysql_thread_id, trx_started, trx_query FROM information_schema.INNODB_TRX
    WHERE trx_mysql_thread_id <> ? ORDER BY trx_started LIMIT 1) t ON TRUE
WHERE w.ID = ?`

// LockWait describes the lock session waits for (its state in the
// process list) and the oldest other open transaction, its session, age
// and running query.
func (d *Dialect) LockWait(ctx context.Context, db *sql.DB, session int64) (string, error) {
	var (
		state, query string
		holder, age  int64
	)
	err := db.QueryRowContext(ctx, lockWaitQuery, session, session).Scan(&state, &holder, &age, &query)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("mysql: read the lock session %d waits for: %w", session, err)
	}
	if !strings.Contains(strings.ToLower(state), "lock") {
		return "", nil
	}
	desc := fmt.Sprintf("the session shows %q", state)
	if holder != 0 {
		doing := "idle in it"
		if query != "" {
			doing = fmt.Sprintf("running %q", query)
		}
		desc += fmt.Sprintf("; the oldest open transaction is session %d's, open %ds, %s", holder, age, doing)
	}
	return desc, nil
}
