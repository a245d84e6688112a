package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.QueryKiller = (*Dialect)(nil)

// SessionID returns CONNECTION_ID() of conn's session.
func (d *Dialect) SessionID(ctx context.Context, conn *sql.Conn) (int64, error) {
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return 0, fmt.Errorf("mysql: session id: %w", err)
	}
	return id, nil
}

// KillQuery runs KILL QUERY for session id on another connection, then
// polls the process list until the session no longer runs a statement.
func (d *Dialect) KillQuery(ctx context.Context, db *sql.DB, id int64) error {
	if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		return fmt.Errorf("mysql: kill query of session %d: %w", id, err)
	}
	for {
		var n int
		err := db.QueryRowContext(ctx,
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = 'Query'", id).Scan(&n)
		if err != nil {
			return fmt.Errorf("mysql: wait for session %d: %w", id, err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mysql: session %d still runs its statement: %w", id, errors.Join(ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
