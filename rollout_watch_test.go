package herd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// A rollout's progress counts each wave's tenants by state, says how
// many more of them may fail before the wave's budget halts the
// rollout, lists the failed tenants, and the pace by the Fleet's clock.
func TestRolloutWatch(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], waveSource())
	b.scratch.WriteConfig(t, b.scratch.Config(`rollout:
  failure_budget: 50%
  waves:
    - {name: canary, tenants: [c1], failure_budget: 0}
    - {name: rest}
`))
	clock := herdtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b.opts.Now = clock.Now
	b.reopen()
	for _, code := range []string{"c1", "r1", "r2", "r3", "r4"} {
		b.addTenant(code)
	}
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 4))
	b.duplicateID("r2")

	m := b.fleet.Rollouts(herd.RolloutOptions{Now: clock.Now})
	r, _, err := m.Start(b.ctx, herd.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	p, err := b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, []herd.WatchedWave{
		{RolloutWave: herd.RolloutWave{Index: 0, Name: "canary", Tenants: 1, Counts: map[herd.ItemState]int{herd.ItemPending: 1}, Open: 1}, Budget: "0", BudgetLeft: 0},
		{RolloutWave: herd.RolloutWave{Index: 1, Name: "rest", Tenants: 4, Counts: map[herd.ItemState]int{herd.ItemPending: 4}, Open: 4}, Budget: "50%", BudgetLeft: 2},
	}, p.Waves)
	require.Zero(t, p.PerMinute, "nothing finished yet")
	require.Nil(t, p.ETA)

	_, err = m.Work(b.ctx, r.ID)
	require.NoError(t, err)
	p, err = b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	rest := p.Waves[1]
	require.Equal(t, 4, rest.Finished())
	require.Equal(t, 1, rest.Failed)
	require.Equal(t, 1, rest.BudgetLeft, "50% of 4 tolerates 2 failures; 1 happened")
	require.Equal(t, 1, p.Waves[0].Finished())
	require.Nil(t, p.ETA, "nothing is open")
	require.Len(t, p.Failures, 1)
	require.Equal(t, "r2", p.Failures[0].Tenant)
	require.Contains(t, p.Failures[0].Error, "rolled back")
	require.Empty(t, p.Running)

	clock.Set(clock.Now().Add(2 * time.Minute)) // the fake clock stood still while the rollout ran
	p, err = b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	require.InDelta(t, 2.5, p.PerMinute, 0.001, "5 tenants finished in the 2 minutes since the rollout started")
}

// An emergency rollback whose process is gone (it began and never
// recorded an end, nor showed life for control.RollbackStaleAfter) is
// shown interrupted, and may begin again; while it is alive a second
// one is refused.
func TestRolloutWatchShowsAStalledRollbackInterrupted(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], waveSource())
	clock := herdtest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b.opts.Now = clock.Now
	b.reopen()
	b.addTenant("c1")
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 1))
	m := b.fleet.Rollouts(herd.RolloutOptions{Now: clock.Now})
	r, _, err := m.Start(b.ctx, herd.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	_, err = m.Work(b.ctx, r.ID)
	require.NoError(t, err)

	_, err = b.fleet.BeginRollback(b.ctx, "ana", r.ID) // and its process dies before Run
	require.NoError(t, err)
	_, err = b.fleet.BeginRollback(b.ctx, "ben", r.ID)
	require.ErrorIs(t, err, control.ErrRollbackRunning)
	p, err := b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, control.RollbackRunning, p.Rollback.Status)

	clock.Set(clock.Now().Add(control.RollbackStaleAfter + time.Second))
	p, err = b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, control.RollbackInterrupted, p.Rollback.Status, "no sign of life: its process is gone")
	run, err := b.fleet.BeginRollback(b.ctx, "ben", r.ID)
	require.NoError(t, err, "a stalled rollback begins again")
	out, err := run.Run(b.ctx, nil)
	require.NoError(t, err)
	require.Len(t, out.RolledBack, 1)
	p, err = b.fleet.WatchRollout(b.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, []any{control.RollbackDone, "ben", 1}, []any{p.Rollback.Status, p.Rollback.Actor, p.Rollback.RolledBack})
}
