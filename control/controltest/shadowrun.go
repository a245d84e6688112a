package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// A shadow migration's record: begun, moved from phase to phase with its
// progress, renewed, and ended by abandoning or by the switch (in the
// switch's transaction); a new run replaces the last, a removed tenant's
// goes with it, and a run whose renewals stopped reads as interrupted.
func (s *suite) testShadowRuns(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	_, ok, err := store.ShadowRun(ctx, "alpha")
	require.NoError(t, err)
	require.False(t, ok, "none recorded yet")
	running, err := store.RunningShadowRuns(ctx)
	require.NoError(t, err)
	require.Empty(t, running)

	start := c.now
	lease := 15 * time.Second
	for _, code := range []string{"beta", "alpha"} {
		require.NoError(t, store.BeginShadowRun(ctx, control.ShadowRun{Tenant: code, FromVersion: "1.0.0", ToVersion: "1.1.0",
			Phase: control.ShadowCopy, StartedAt: start}, start.Add(lease)))
	}
	run := s.shadowRun(t, store, "alpha")
	require.Equal(t, control.ShadowRun{Tenant: "alpha", FromVersion: "1.0.0", ToVersion: "1.1.0", State: control.ShadowRunning,
		Phase: control.ShadowCopy}, withoutTimes(run))
	requireTimes(t, run, start, start, start.Add(lease))

	// The next phase, with progress; progress within it; a renewal.
	at := start.Add(3 * time.Second)
	require.NoError(t, store.ShadowPhaseStarted(ctx, "alpha", control.ShadowCatchUp, at,
		&control.ShadowProgress{Count: 1200, Unit: "changes left"}, at.Add(lease)))
	run = s.shadowRun(t, store, "alpha")
	require.Equal(t, control.ShadowCatchUp, run.Phase)
	require.Equal(t, &control.ShadowProgress{Count: 1200, Unit: "changes left"}, run.Progress)
	requireTimes(t, run, start, at, at.Add(lease))
	require.NoError(t, store.ShadowProgressed(ctx, "alpha", control.ShadowProgress{Count: 40, Unit: "changes left"}, at.Add(2*lease)))
	run = s.shadowRun(t, store, "alpha")
	require.Equal(t, "40 changes left", run.Progress.String())
	requireTimes(t, run, start, at, at.Add(2*lease))
	require.NoError(t, store.ShadowAlive(ctx, "alpha", at.Add(3*lease)))
	run = s.shadowRun(t, store, "alpha")
	requireTimes(t, run, start, at, at.Add(3*lease))
	require.Equal(t, "40 changes left", run.Progress.String(), "a renewal keeps the progress")
	at = at.Add(time.Second)
	require.NoError(t, store.ShadowPhaseStarted(ctx, "alpha", control.ShadowMigrate, at,
		&control.ShadowProgress{Count: 0, Of: 2, Unit: "migrations"}, at.Add(lease)))
	run = s.shadowRun(t, store, "alpha")
	require.Equal(t, "0 of 2 migrations", run.Progress.String())
	require.NoError(t, store.ShadowPhaseStarted(ctx, "alpha", control.ShadowSwitch, at, nil, at.Add(lease)))
	run = s.shadowRun(t, store, "alpha")
	require.Equal(t, control.ShadowSwitch, run.Phase)
	require.Nil(t, run.Progress, "a phase without a measure clears the last one's")

	// Interrupted: a reader past the record's time.
	require.Equal(t, control.ShadowRunning, run.At(at.Add(lease-time.Second)).State)
	require.Equal(t, control.ShadowInterrupted, run.At(at.Add(lease+time.Second)).State)

	running, err = store.RunningShadowRuns(ctx)
	require.NoError(t, err)
	require.Len(t, running, 2)
	require.Equal(t, []string{"alpha", "beta"}, []string{running[0].Tenant, running[1].Tenant})

	// Abandoned: once; later writes leave the ended run alone.
	c.now = start.Add(time.Minute)
	require.NoError(t, store.EndShadowRun(ctx, "beta", "table \"pupils\": checksum differs"))
	require.NoError(t, store.EndShadowRun(ctx, "beta", "again"))
	require.NoError(t, store.ShadowPhaseStarted(ctx, "beta", control.ShadowVerify, c.now, nil, c.now.Add(lease)))
	require.NoError(t, store.ShadowAlive(ctx, "beta", c.now.Add(lease)))
	beta := s.shadowRun(t, store, "beta")
	require.Equal(t, control.ShadowAbandoned, beta.State)
	require.Equal(t, control.ShadowCopy, beta.Phase, "the phase it was abandoned in")
	require.Equal(t, "table \"pupils\": checksum differs", beta.Error)
	require.NotNil(t, beta.EndedAt)
	require.True(t, c.now.Equal(*beta.EndedAt), "ended %s", beta.EndedAt)
	require.Equal(t, control.ShadowAbandoned, beta.At(c.now.Add(time.Hour)).State, "an ended run is never interrupted")

	// Switched, in the switch's transaction.
	sw := control.Switch{Tenant: "alpha", Server: "main", OldDatabase: "t_alpha", NewDatabase: "t_alpha_herd_shadow",
		FromVersion: "1.0.0", ToVersion: "1.1.0", SwitchedAt: c.now}
	_, err = store.SwitchTenant(ctx, sw, nil, "test")
	require.NoError(t, err)
	run = s.shadowRun(t, store, "alpha")
	require.Equal(t, control.ShadowSwitched, run.State)
	require.Empty(t, run.Error)
	require.NotNil(t, run.EndedAt)
	running, err = store.RunningShadowRuns(ctx)
	require.NoError(t, err)
	require.Empty(t, running)

	// A new run replaces the last; a removed tenant's record goes with it.
	again := start.Add(time.Hour)
	require.NoError(t, store.BeginShadowRun(ctx, control.ShadowRun{Tenant: "beta", FromVersion: "1.0.0", ToVersion: "1.2.0",
		Phase: control.ShadowCopy, StartedAt: again}, again.Add(lease)))
	beta = s.shadowRun(t, store, "beta")
	require.Equal(t, control.ShadowRun{Tenant: "beta", FromVersion: "1.0.0", ToVersion: "1.2.0", State: control.ShadowRunning,
		Phase: control.ShadowCopy}, withoutTimes(beta))
	requireTimes(t, beta, again, again, again.Add(lease))
	require.NoError(t, store.RemoveTenant(ctx, "beta"))
	_, ok, err = store.ShadowRun(ctx, "beta")
	require.NoError(t, err)
	require.False(t, ok)
}

// shadowRun reads code's shadow migration, which must be recorded.
func (s *suite) shadowRun(t *testing.T, store *control.Store, code string) control.ShadowRun {
	t.Helper()
	run, ok, err := store.ShadowRun(t.Context(), code)
	require.NoError(t, err)
	require.True(t, ok, code)
	return run
}

// withoutTimes is run with its times zero, to compare the rest.
func withoutTimes(run control.ShadowRun) control.ShadowRun {
	run.StartedAt, run.PhaseStartedAt, run.AliveUntil = time.Time{}, time.Time{}, time.Time{}
	return run
}

// requireTimes checks run's times, as instants.
func requireTimes(t *testing.T, run control.ShadowRun, started, phase, alive time.Time) {
	t.Helper()
	require.True(t, started.Equal(run.StartedAt), "started %s, want %s", run.StartedAt, started)
	require.True(t, phase.Equal(run.PhaseStartedAt), "phase started %s, want %s", run.PhaseStartedAt, phase)
	require.True(t, alive.Equal(run.AliveUntil), "alive until %s, want %s", run.AliveUntil, alive)
}
