package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// A rollout's emergency rollback begins once while it runs: a second
// begin is refused until the first ends, or stalls (no sign of life for
// RollbackStaleAfter: its process is gone); a touch keeps it alive.
func (s *suite) testRollbackGuard(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	id, err := store.CreateRollout(ctx, control.Rollout{Release: "r2", TenantVersion: "2.0.0", Status: control.RolloutAborted}, nil)
	require.NoError(t, err)
	rb := control.RolloutRollback{Rollout: id, Actor: "ana", Status: control.RollbackRunning, FromVersion: "1.0.0", Tenants: 3}
	require.NoError(t, store.BeginRollback(ctx, rb))

	rb.Actor = "ben"
	err = store.BeginRollback(ctx, rb)
	require.ErrorIs(t, err, control.ErrRollbackRunning)
	require.ErrorContains(t, err, "started by ana")

	// Touched within the stale bound, it stays alive however long it runs.
	for range 3 {
		c.now = c.now.Add(control.RollbackStaleAfter - time.Second)
		require.NoError(t, store.TouchRollback(ctx, id))
		require.ErrorIs(t, store.BeginRollback(ctx, rb), control.ErrRollbackRunning)
	}
	got, ok, err := store.Rollback(ctx, id)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, got.Stalled(c.now))
	require.Equal(t, "ana", got.Actor)

	// Its process is gone: once stalled, it may begin again, from zero.
	require.NoError(t, store.RecordRollback(ctx, control.RolloutRollback{Rollout: id, Status: control.RollbackRunning, RolledBack: 1}))
	c.now = c.now.Add(control.RollbackStaleAfter + time.Second)
	got, _, err = store.Rollback(ctx, id)
	require.NoError(t, err)
	require.True(t, got.Stalled(c.now))
	require.NoError(t, store.BeginRollback(ctx, rb))
	got, _, err = store.Rollback(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []any{"ben", control.RollbackRunning, 0, 3}, []any{got.Actor, got.Status, got.RolledBack, got.Tenants})

	// One that ended may begin again at once.
	require.NoError(t, store.RecordRollback(ctx, control.RolloutRollback{Rollout: id, Status: control.RollbackDone, RolledBack: 3}))
	rb.Actor = "cleo"
	require.NoError(t, store.BeginRollback(ctx, rb))
	got, _, err = store.Rollback(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []any{"cleo", control.RollbackRunning, 0, (*time.Time)(nil)}, []any{got.Actor, got.Status, got.RolledBack, got.FinishedAt})
}
