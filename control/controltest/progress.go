package controltest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// A chunked migration's progress is replaced by the next, listed for the
// system database and registered tenants only, and gone when its walk
// ends, its migration is undone or its tenant removed; a step's lock
// retries are kept with its history row.
func (s *suite) testChunkProgress(t *testing.T) {
	ctx := t.Context()
	store, c, _ := s.open(t)
	s.addTenants(t, store, c, "alpha", "beta")
	at := time.Date(2026, 11, 25, 3, 4, 5, 0, time.UTC)
	progress := func(ref control.Ref, migration string, rows int64) control.ChunkProgress {
		return control.ChunkProgress{Ref: ref, Migration: migration, Table: "students", LastKey: "42", Rows: rows,
			Share: 0.25, UpdatedAt: at}
	}
	alpha, beta := control.TenantRef("alpha"), control.TenantRef("beta")
	for _, p := range []control.ChunkProgress{
		progress(alpha, "v1.1.0/002_touch", 10),
		progress(beta, "v1.1.0/002_touch", 30),
		progress(control.SystemRef, "v1.0.0/003_fill", 5),
		progress(control.TenantRef("gone"), "v1.1.0/002_touch", 7),
		progress(alpha, "v1.1.0/002_touch", 20),
	} {
		require.NoError(t, store.SetChunkProgress(ctx, p))
	}
	list := func() []control.ChunkProgress {
		t.Helper()
		all, err := store.ChunkProgresses(ctx)
		require.NoError(t, err)
		for i := range all {
			require.True(t, at.Equal(all[i].UpdatedAt), "updated at %s", all[i].UpdatedAt)
			all[i].UpdatedAt = at
		}
		return all
	}
	require.Equal(t, []control.ChunkProgress{
		progress(control.SystemRef, "v1.0.0/003_fill", 5),
		progress(alpha, "v1.1.0/002_touch", 20),
		progress(beta, "v1.1.0/002_touch", 30),
	}, list(), "the second write replaced the first; an unregistered tenant's is not listed")

	require.NoError(t, store.EndChunkProgress(ctx, beta, "v1.1.0/002_touch"))
	step := control.Step{Migration: "v1.1.0/002_touch", Version: "1.1.0", Kind: "data", Direction: control.Up,
		Checksum: "c", Started: at, LockRetries: 3, Chunked: true}
	require.NoError(t, store.Record(ctx, alpha, step))
	require.Len(t, list(), 2, "beta's walk ended; alpha's up step leaves its progress")
	step.Direction, step.LockRetries = control.Down, 0
	require.NoError(t, store.Record(ctx, alpha, step))
	require.Equal(t, []control.ChunkProgress{progress(control.SystemRef, "v1.0.0/003_fill", 5)}, list(),
		"undoing the migration forgets its progress")

	require.NoError(t, store.SetChunkProgress(ctx, progress(beta, "v1.1.0/002_touch", 40)))
	require.NoError(t, store.RemoveTenant(ctx, "beta"))
	s.addTenants(t, store, c, "beta")
	require.Equal(t, []control.ChunkProgress{progress(control.SystemRef, "v1.0.0/003_fill", 5)}, list(),
		"a removed tenant's progress goes with it, and does not come back with its code")

	history, err := store.HistoryAfter(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, history, 2)
	require.Equal(t, []int{3, 0}, []int{history[0].LockRetries, history[1].LockRetries})
}
