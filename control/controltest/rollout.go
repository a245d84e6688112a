package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// createRollout records a running rollout of the given tenants, one wave.
func (s *suite) createRollout(t *testing.T, store *control.Store, codes ...string) int64 {
	t.Helper()
	items := make([]control.Item, len(codes))
	for i, code := range codes {
		items[i] = control.Item{Tenant: code, Server: "main", Wave: 0, WaveName: "canary", Position: i, State: control.ItemPending}
	}
	id, err := store.CreateRollout(t.Context(), control.Rollout{Release: "r2", SystemVersion: "2.0.0", TenantVersion: "2.0.0",
		Selector: "all", Status: control.RolloutRunning}, items)
	require.NoError(t, err)
	require.Positive(t, id)
	return id
}

// item is tenant code's item of rollout id, as it is now.
func item(t *testing.T, store *control.Store, id int64, code string) control.Item {
	t.Helper()
	items, err := store.Items(t.Context(), id)
	require.NoError(t, err)
	for _, it := range items {
		if it.Tenant == code {
			return it
		}
	}
	t.Fatalf("rollout %d has no tenant %q", id, code)
	return control.Item{}
}

// A rollout moves between states only from those named, and one that is
// over has a finish time and is no longer the latest unfinished.
func (s *suite) testRolloutStatus(t *testing.T) {
	ctx := t.Context()
	store, _, _ := s.open(t)
	_, err := store.LatestUnfinished(ctx)
	require.ErrorIs(t, err, control.ErrRolloutNotFound)
	first := s.createRollout(t, store, "alpha", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	second := s.createRollout(t, store, "beta", "gamma")
	require.Greater(t, second, first)
	latest, err := store.LatestUnfinished(ctx)
	require.NoError(t, err)
	require.Equal(t, second, latest.ID)

	ok, err := store.SetRolloutStatus(ctx, second, []control.RolloutStatus{control.RolloutPaused, control.RolloutHalted}, control.RolloutAborted, "no")
	require.NoError(t, err)
	require.False(t, ok, "a running rollout is not paused or halted")
	ok, err = store.SetRolloutStatus(ctx, second, []control.RolloutStatus{control.RolloutScheduled, control.RolloutRunning}, control.RolloutAborted, "by test")
	require.NoError(t, err)
	require.True(t, ok)
	r, err := store.Rollout(ctx, second)
	require.NoError(t, err)
	require.Equal(t, control.RolloutAborted, r.Status)
	require.Equal(t, "by test", r.Reason)
	require.NotNil(t, r.FinishedAt)
	require.True(t, r.Finished())
	latest, err = store.LatestUnfinished(ctx)
	require.NoError(t, err)
	require.Equal(t, first, latest.ID)
	all, err := store.Rollouts(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	items, err := store.Items(ctx, first)
	require.NoError(t, err)
	require.Len(t, items, 10, "more tenants than one statement takes")
	for i, it := range items {
		require.Equal(t, i, it.Position)
		require.Equal(t, "canary", it.WaveName)
		require.Equal(t, "main", it.Server)
		require.Equal(t, control.ItemPending, it.State)
		require.Empty(t, it.Error)
	}
	_, err = store.Rollout(ctx, second+100)
	require.ErrorIs(t, err, control.ErrRolloutNotFound)
	items, err = store.Items(ctx, second)
	require.NoError(t, err)
	require.Len(t, items, 2)
	require.Equal(t, "beta", items[0].Tenant)
	require.Equal(t, control.ItemPending, items[0].State)
}

// ClaimRun claims a tenant and, in the same commit, marks its run towards
// the rollout's version as begun, returning its row as it was and its
// registry entry; a claim another runner won changes neither the item nor
// the row, and a tenant the registry does not have (removed since the
// rollout started) is claimed without an entry, and no run is begun for
// it: its row, if any, is left alone.
func (s *suite) testClaimRun(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha")
	id := s.createRollout(t, store, "alpha", "ghost", "stray") // ghost and stray are not registered
	// stray has a version row all the same (left by hand, say).
	require.NoError(t, store.Sync(ctx, control.TenantRef("stray"), "1.0.0"))
	was := versions(t, store)
	entry, err := store.Tenant(ctx, "alpha")
	require.NoError(t, err)

	c.now = c.now.Add(time.Minute)
	alpha := item(t, store, id, "alpha")
	run, ok, err := store.ClaimRun(ctx, alpha, "runner-1", time.Hour, "2.0.0")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "alpha", run.Lease.Tenant)
	require.NotNil(t, run.Tenant)
	require.Equal(t, entry, *run.Tenant, "the registry entry, read in the claim")
	require.NotNil(t, run.Before)
	require.Equal(t, was["alpha"], *run.Before, "the row as the claim found it")
	v := versions(t, store)["alpha"]
	require.Equal(t, control.StatusRunning, v.Status)
	require.Equal(t, "2.0.0", v.TargetVersion)
	require.NotNil(t, v.StartedAt)
	require.True(t, c.now.Equal(*v.StartedAt))
	require.Equal(t, control.ItemRunning, item(t, store, id, "alpha").State)

	marked := versions(t, store)
	lost, ok, err := store.ClaimRun(ctx, alpha, "runner-2", time.Hour, "3.0.0")
	require.NoError(t, err)
	require.False(t, ok, "a live lease is not claimed")
	require.Equal(t, control.Run{}, lost)
	require.Equal(t, marked, versions(t, store), "a lost claim begins nothing")

	none, ok, err := store.ClaimRun(ctx, item(t, store, id, "ghost"), "runner-1", time.Hour, "2.0.0")
	require.NoError(t, err)
	require.True(t, ok, "a tenant the registry does not have is claimed")
	require.Nil(t, none.Tenant)
	require.Nil(t, none.Before)
	require.NotContains(t, versions(t, store), "ghost")

	stray, ok, err := store.ClaimRun(ctx, item(t, store, id, "stray"), "runner-1", time.Hour, "2.0.0")
	require.NoError(t, err)
	require.True(t, ok)
	require.Nil(t, stray.Tenant)
	require.Nil(t, stray.Before)
	require.Equal(t, was["stray"], versions(t, store)["stray"], "no run is begun for a tenant the registry does not have")

	require.NoError(t, store.Unbegin(ctx, *run.Before))
	require.Equal(t, was["alpha"], versions(t, store)["alpha"], "Unbegin puts the row back")
}

// A run's Finish that carries its rollout lease ends it in the same
// commit, as Release would; a lease lost meanwhile writes nothing to the
// item, but the run is recorded all the same.
func (s *suite) testFinishReleases(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	id := s.createRollout(t, store, "alpha", "beta")
	finish := func(run control.Run, code string) *control.LeaseEnd {
		t.Helper()
		end := &control.LeaseEnd{Lease: run.Lease, Msg: "migrated without a snapshot",
			Took: func() time.Duration { return 3 * time.Second }}
		require.NoError(t, store.Finish(ctx, control.TenantRef(code), control.Outcome{Current: "2.0.0", Actor: "test", Detail: "run", Release: end}))
		require.True(t, end.Committed)
		require.Equal(t, control.StatusCompleted, versions(t, store)[code].Status, "the run is recorded")
		require.Equal(t, "2.0.0", versions(t, store)[code].CurrentVersion)
		return end
	}

	run, ok, err := store.ClaimRun(ctx, item(t, store, id, "alpha"), "runner-1", time.Hour, "2.0.0")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, finish(run, "alpha").Held)
	alpha := item(t, store, id, "alpha")
	require.Equal(t, control.ItemDone, alpha.State)
	require.Equal(t, int64(3000), alpha.DurationMS)
	require.Equal(t, "migrated without a snapshot", alpha.Error)
	require.NotNil(t, alpha.FinishedAt)

	// beta's lease expires, and another runner claims it before the
	// first runner's run finishes.
	seen := item(t, store, id, "beta")
	stale, ok, err := store.ClaimRun(ctx, seen, "runner-1", -time.Second, "2.0.0")
	require.NoError(t, err)
	require.True(t, ok)
	taken, ok, err := store.Claim(ctx, item(t, store, id, "beta"), "runner-2", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, finish(stale, "beta").Held, "a lost lease is not ended")
	beta := item(t, store, id, "beta")
	require.Equal(t, control.ItemRunning, beta.State)
	require.Equal(t, taken.Owner, beta.LeaseOwner)
	require.Nil(t, beta.FinishedAt)
}

// A tenant is leased to one runner at a time; a lease fences every write
// about the tenant, and an expired one can be claimed again.
func (s *suite) testLeases(t *testing.T) {
	ctx := t.Context()
	store, _, _ := s.open(t)
	id := s.createRollout(t, store, "alpha", "beta")
	claimable, err := store.Claimable(ctx, id, 0, 1)
	require.NoError(t, err)
	require.Len(t, claimable, 1, "up to the limit")
	require.Equal(t, "alpha", claimable[0].Tenant)

	alpha := claimable[0]
	require.Equal(t, id, alpha.Rollout)
	lease, ok, err := store.Claim(ctx, alpha, "runner-1", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = store.Claim(ctx, alpha, "runner-2", time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "a live lease is not claimed")
	ok, err = store.Heartbeat(ctx, lease, time.Hour)
	require.NoError(t, err)
	require.True(t, ok)

	// beta's lease expires at once, and another runner takes it over; a
	// runner that read beta before the first claim gets nothing.
	seen := item(t, store, id, "beta")
	stale, ok, err := store.Claim(ctx, seen, "runner-1", -time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = store.Claim(ctx, seen, "runner-3", time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "an item claimed since it was read is not claimed")
	expired, err := store.Claimable(ctx, id, 0, 10)
	require.NoError(t, err)
	require.Len(t, expired, 1, "alpha is leased, beta's lease expired")
	taken, ok, err := store.Claim(ctx, expired[0], "runner-2", time.Hour)
	require.NoError(t, err)
	require.True(t, ok, "an expired lease is claimed again")
	require.Greater(t, taken.Token, stale.Token)
	ok, err = store.Heartbeat(ctx, taken, time.Hour)
	require.NoError(t, err)
	require.True(t, ok, "the claim returns the token it wrote")
	ok, err = store.Release(ctx, stale, control.ItemFailed, time.Second, "late")
	require.NoError(t, err)
	require.False(t, ok, "a lost lease writes nothing")

	ok, err = store.Release(ctx, lease, control.ItemDone, 2*time.Second, "")
	require.NoError(t, err)
	require.True(t, ok)
	items, err := store.Items(ctx, id)
	require.NoError(t, err)
	require.Equal(t, control.ItemDone, items[0].State)
	require.Equal(t, 1, items[0].Attempts)
	require.Equal(t, int64(2000), items[0].DurationMS)
	require.NotNil(t, items[0].FinishedAt)
	require.Equal(t, control.ItemRunning, items[1].State)
	require.Equal(t, "runner-2", items[1].LeaseOwner)
	require.Equal(t, 2, items[1].Attempts)

	// A rollout that is no longer running has no tenant to claim.
	paused := s.createRollout(t, store, "gamma")
	ok, err = store.SetRolloutStatus(ctx, paused, []control.RolloutStatus{control.RolloutRunning}, control.RolloutPaused, "")
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = store.Claim(ctx, item(t, store, paused, "gamma"), "runner-1", time.Hour)
	require.NoError(t, err)
	require.False(t, ok, "a paused rollout's tenant is not claimed")
}

// RetryItems puts failed tenants back and reopens a completed rollout;
// ResolveItems marks a repaired tenant done in its unfinished rollouts.
func (s *suite) testRetryAndResolve(t *testing.T) {
	ctx := t.Context()
	store, _, _ := s.open(t)
	id := s.createRollout(t, store, "alpha", "beta", "gamma")
	for code, state := range map[string]control.ItemState{"alpha": control.ItemFailed, "beta": control.ItemRolledBack, "gamma": control.ItemDone} {
		lease, ok, err := store.Claim(ctx, item(t, store, id, code), "runner", time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = store.Release(ctx, lease, state, time.Second, "")
		require.NoError(t, err)
		require.True(t, ok)
	}
	n, err := store.ResolveItems(ctx, "alpha", "2.0.0", "repaired")
	require.NoError(t, err)
	require.Equal(t, int64(1), n)

	ok, err := store.SetRolloutStatus(ctx, id, []control.RolloutStatus{control.RolloutRunning}, control.RolloutCompletedWithFailures, "")
	require.NoError(t, err)
	require.True(t, ok)
	n, err = store.RetryItems(ctx, id, control.ItemFailed, control.ItemRolledBack)
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "beta only: alpha was resolved")
	r, err := store.Rollout(ctx, id)
	require.NoError(t, err)
	require.Equal(t, control.RolloutRunning, r.Status, "running again")
	require.Nil(t, r.FinishedAt)
	items, err := store.Items(ctx, id)
	require.NoError(t, err)
	require.Equal(t, control.ItemDone, items[0].State)
	require.Equal(t, "repaired", items[0].Error)
	require.Equal(t, control.ItemPending, items[1].State)
	n, err = store.RetryItems(ctx, id, control.ItemFailed)
	require.NoError(t, err)
	require.Zero(t, n)
}

// Waves counts each wave's tenants by state, in wave order, and which of
// them a runner ever claimed.
func (s *suite) testWaves(t *testing.T) {
	ctx := t.Context()
	store, _, _ := s.open(t)
	items := []control.Item{
		{Tenant: "a", Server: "main", Wave: 0, WaveName: "canary", Position: 0, State: control.ItemPending},
		{Tenant: "b", Server: "main", Wave: 0, WaveName: "canary", Position: 1, State: control.ItemPending},
		{Tenant: "c", Server: "main", Wave: 0, WaveName: "canary", Position: 2, State: control.ItemSkipped},
		{Tenant: "d", Server: "main", Wave: 2, WaveName: "rest", Position: 0, State: control.ItemPending},
	}
	id, err := store.CreateRollout(ctx, control.Rollout{Release: "r2", TenantVersion: "2.0.0", Status: control.RolloutRunning}, items)
	require.NoError(t, err)
	for code, state := range map[string]control.ItemState{"a": control.ItemFailed, "b": control.ItemRunning} {
		lease, ok, err := store.Claim(ctx, item(t, store, id, code), "runner", time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		if state != control.ItemRunning {
			ok, err = store.Release(ctx, lease, state, time.Second, "boom")
			require.NoError(t, err)
			require.True(t, ok)
		}
	}

	waves, err := store.Waves(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []control.Wave{
		{Index: 0, Name: "canary", States: map[control.ItemState]int{control.ItemFailed: 1, control.ItemRunning: 1, control.ItemSkipped: 1}, Claimed: 2},
		{Index: 2, Name: "rest", States: map[control.ItemState]int{control.ItemPending: 1}},
	}, waves)
	require.Equal(t, 3, waves[0].Size())
	require.Equal(t, 1, waves[0].Failed())
	require.Equal(t, 1, waves[0].Open(), "b still runs")
	require.Equal(t, 1, waves[1].Open())

	none, err := store.Waves(ctx, id+1000)
	require.NoError(t, err)
	require.Empty(t, none, "an unknown rollout has no waves")
}
