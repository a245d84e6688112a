package execute_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// addHouse adds, at v1.2.0, a schema change that needs the pupils
// table to itself for a moment.
var addHouse = map[string]string{
	"tenant/v1.2.0/003_house.up.sql":   "ALTER TABLE pupils ADD COLUMN house INT;\n",
	"tenant/v1.2.0/003_house.down.sql": "ALTER TABLE pupils DROP COLUMN house;\n",
}

// retries collects the lock.retry events of an Executor.
type retries struct {
	mu   sync.Mutex
	list []event.Event
}

func (r *retries) Send(e event.Event) {
	if e.Type == event.LockRetry {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.list = append(r.list, e)
	}
}

func (r *retries) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.list)
}

// holdPupils opens a transaction that writes to pupils, as an application
// would, and keeps it open until the returned function ends it.
func holdPupils(t *testing.T, b *bundle) (end func()) {
	t.Helper()
	conn, err := b.db.DB.Conn(b.ctx)
	require.NoError(t, err)
	tx, err := conn.BeginTx(b.ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(b.ctx, "INSERT INTO pupils (id, name) VALUES (2, 'bea')")
	require.NoError(t, err)
	var once sync.Once
	end = func() {
		once.Do(func() {
			require.NoError(t, tx.Commit())
			require.NoError(t, conn.Close())
		})
	}
	t.Cleanup(end)
	return end
}

// A schema change behind an application's transaction that holds pupils
// for ten seconds waits at most the lock timeout per try, so that the
// application's other queries on the table, started all through those ten
// seconds, wait no longer than that behind it; it runs again after a
// backoff, and succeeds once the transaction ends.
func TestLockTimeoutRetriesWithoutQueueingTheApplication(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations, addHouse)
		require.NoError(t, b.migrate(t, "1.1.0"))
		seen := &retries{}
		// MySQL counts lock waits in whole seconds: one second everywhere.
		const timeout, hold = time.Second, 10 * time.Second
		b.ex = execute.New(b.d, &execute.Options{Events: seen, LockTimeout: timeout, LockRetries: 20})
		end := holdPupils(t, b)
		held := time.Now()

		done := make(chan error, 1)
		go func() { done <- b.migrate(t, "1.2.0") }()
		// While herd waits (or backs off), the application reads the
		// table, again and again.
		var longest time.Duration
		queries := 0
		for time.Since(held) < hold-1500*time.Millisecond {
			time.Sleep(1500 * time.Millisecond)
			start := time.Now()
			var n int
			require.NoError(t, b.db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM pupils").Scan(&n))
			longest = max(longest, time.Since(start))
			queries++
		}
		t.Logf("%s: %d application queries during the %s hold, the longest waited %s", e.Label, queries, hold, longest)
		require.Less(t, longest, timeout+time.Second, "no application query waited more than one lock timeout behind herd")

		time.Sleep(time.Until(held.Add(hold)))
		end()
		require.NoError(t, <-done, "the retry after the application's commit succeeds")
		require.Positive(t, seen.count(), "each give-up is announced")
		require.Equal(t, seen.count(), b.rec.results[len(b.rec.results)-1].LockRetries, "the step's result counts its retries")
		require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees", "v1.2.0/003_house"}, b.applied(t))
	})
}

// A schema change that gives up on every try fails as a *LockError that
// says how long it waited, and changes nothing.
func TestLockTimeoutGivesUpCleanly(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations, addHouse)
		require.NoError(t, b.migrate(t, "1.1.0"))
		seen := &retries{}
		b.ex = execute.New(b.d, &execute.Options{Events: seen, LockTimeout: time.Second, LockRetries: 1})
		end := holdPupils(t, b)

		err := b.migrate(t, "1.2.0")
		end()
		var lockErr *execute.LockError
		require.True(t, errors.As(err, &lockErr), "a lock error: %v", err)
		require.Equal(t, 2, lockErr.Tries)
		require.Contains(t, err.Error(), "waited 2 × 1s for a lock")
		if _, ok := b.d.(dialect.LockWaits); ok {
			require.NotEmpty(t, lockErr.Wait, "the engine names the lock and its holder")
			t.Log(err)
		}
		require.Equal(t, 1, seen.count())
		last := b.rec.results[len(b.rec.results)-1]
		require.Equal(t, "v1.2.0/003_house", last.Migration.ID())
		require.Error(t, last.Err)
		require.Equal(t, 1, last.LockRetries, "the failed step's result counts its retry")
		require.Equal(t, []string{"v1.0.0/001_pupils", "v1.1.0/002_fees"}, b.applied(t), "nothing recorded")
		_, dirty := b.dirty(t)
		require.False(t, dirty)
		_, err = b.db.DB.ExecContext(context.Background(), "SELECT house FROM pupils")
		require.Error(t, err, "the column was not added")
	})
}
