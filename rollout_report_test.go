package herd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// A rollout's report judges its tenants' maintenance windows by the
// Fleet's clock, not the machine's.
func TestRolloutReportUsesTheFleetsClock(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], waveSource())
	b.scratch.WriteConfig(t, b.scratch.Config("maintenance_windows:\n  default: {days: [mon], hours: \"01:00-02:00\", time_zone: UTC}\n"))
	monday := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) // after Monday's window
	clock := herdtest.NewClock(monday)
	b.opts.Now = clock.Now
	b.reopen()
	b.addTenant("alpha")

	r, items, err := b.fleet.Rollouts(herd.RolloutOptions{}).Start(b.ctx, herd.StartRequest{Release: "v1.0.0"})
	require.NoError(t, err)
	require.Len(t, items, 1)

	rep, err := b.fleet.RolloutReport(b.ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, r.ID, rep.Rollout.ID)
	require.Equal(t, map[herd.ItemState]int{herd.ItemPending: 1}, rep.Counts)
	require.Len(t, rep.Tenants, 1)
	require.Equal(t, "alpha", rep.Tenants[0].Tenant)
	require.NotNil(t, rep.Tenants[0].NextEligible, "the window is closed at the Fleet's noon")
	require.Equal(t, time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC), rep.Tenants[0].NextEligible.UTC())

	clock.Set(time.Date(2026, 12, 7, 1, 30, 0, 0, time.UTC)) // inside the next window
	rep, err = b.fleet.RolloutReport(b.ctx, 0)
	require.NoError(t, err)
	require.Equal(t, r.ID, rep.Rollout.ID, "0 is the newest unfinished rollout")
	require.Nil(t, rep.Tenants[0].NextEligible, "the window is open")

	_, err = b.fleet.RolloutReport(b.ctx, r.ID+1)
	require.True(t, herd.IsInputError(err), "an unknown rollout is bad input: %v", err)
}
