package control_test

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
)

// Concurrent writers share commits, each returns once its own write is
// committed, and a write that fails fails only its own caller: the batch
// it was in is retried write by write.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		store, err := control.Open(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		before, err := store.Generation(b.ctx)
		require.NoError(t, err)
		const writers = 40
		bad := errors.New("bad write")
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = store.InGroupTx(b.ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(b.ctx, dialect.Bind(b.d, `INSERT INTO herd_audit_log (at, actor, action, subject, detail) VALUES (CURRENT_TIMESTAMP, ?, ?, ?, ?)`),
						"test", "group", fmt.Sprint(i), "")
					if err == nil && i%5 == 0 {
						err = bad
					}
					return err
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i%5 == 0 {
				require.ErrorIs(t, err, bad, "writer %d", i)
			} else {
				require.NoError(t, err, "writer %d", i)
			}
		}
		var n int
		require.NoError(t, b.db.DB.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM herd_audit_log WHERE action = 'group'`).Scan(&n))
		require.Equal(t, writers-writers/5, n, "the failed writes left nothing; every other write is there once")
		after, err := store.Generation(b.ctx)
		require.NoError(t, err)
		require.Greater(t, after, before, "each committed batch counts as a change")
	})
}
