package controltest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// Snapshot records are kept until deleted; the latest at a version is the
// newest.
func (s *suite) testSnapshots(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	rollout := s.createRollout(t, store, "alpha")
	add := func(name string, rollout int64) int64 {
		t.Helper()
		id, err := store.AddSnapshot(ctx, control.Snapshot{Tenant: "alpha", Server: "main", Database: "t_alpha", Name: name,
			Version: "1.0.0", Rollout: rollout, CreatedAt: c.now})
		require.NoError(t, err)
		require.Positive(t, id)
		return id
	}
	first := add("snap_1", 0)
	second := add("snap_2", rollout)
	latest, err := store.LatestSnapshot(ctx, "alpha", "1.0.0")
	require.NoError(t, err)
	require.Equal(t, second, latest.ID)
	require.Equal(t, rollout, latest.Rollout)
	_, err = store.LatestSnapshot(ctx, "alpha", "2.0.0")
	require.ErrorIs(t, err, control.ErrNoSnapshot)

	require.NoError(t, store.MarkRestored(ctx, first))
	sn, err := store.Snapshot(ctx, first)
	require.NoError(t, err)
	require.NotNil(t, sn.RestoredAt)
	require.Zero(t, sn.Rollout)

	require.NoError(t, store.DeleteSnapshot(ctx, sn, "test", "dropped"))
	_, err = store.Snapshot(ctx, first)
	require.ErrorIs(t, err, control.ErrNoSnapshot)
	all, err := store.Snapshots(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1)
	mine, err := store.Snapshots(ctx, "alpha")
	require.NoError(t, err)
	require.Equal(t, all, mine)
	none, err := store.Snapshots(ctx, "beta")
	require.NoError(t, err)
	require.Empty(t, none)
}
