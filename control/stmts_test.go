package control_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
)

// On an engine that runs in herd's process (SQLite), the writes that
// record a run go through prepared statements, one per control query,
// reused from one run to the next, whatever its length; elsewhere none
// are kept. Runs of every length are recorded whole.
func TestPreparedWritesAreReused(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
		store, err := control.Open(b.ctx, b.d, b.db, func() time.Time { return now })
		require.NoError(t, err)
		require.NoError(t, store.AddTenant(b.ctx, control.Tenant{Code: "alpha", Name: "alpha", Server: "main", Database: "alpha", CreatedAt: now}))
		ref := control.TenantRef("alpha")

		results := func(n int) []control.Step {
			out := make([]control.Step, n)
			for i := range out {
				out[i] = control.Step{Migration: fmt.Sprintf("v1.0.0/%03d_step", i+1), Version: "1.0.0", Kind: "schema",
					Direction: control.Up, Checksum: "c", Started: now, Duration: time.Millisecond}
			}
			return out
		}
		_, inProcess := b.d.(dialect.InProcess)
		require.NoError(t, store.Finish(b.ctx, ref, control.Outcome{Current: "1.0.0", Steps: results(3), Actor: "test", Detail: "first"}))
		cached := store.CachedStatements()
		if inProcess {
			require.Positive(t, cached)
		} else {
			require.Zero(t, cached)
		}
		require.NoError(t, store.Finish(b.ctx, ref, control.Outcome{Current: "1.0.0", Steps: results(3), Actor: "test", Detail: "again"}))
		require.Equal(t, cached, store.CachedStatements(), "a second run of the same shape prepares nothing new")

		rows := 6
		for n := 1; n <= 20; n++ {
			require.NoError(t, store.Finish(b.ctx, ref, control.Outcome{Current: "1.0.0", Steps: results(n), Actor: "test", Detail: fmt.Sprint(n)}))
			rows += n
		}
		require.Equal(t, cached, store.CachedStatements(), "runs of every length prepare nothing new")
		history, err := store.History(b.ctx, ref)
		require.NoError(t, err)
		require.Len(t, history, rows, "every run's history is there, prepared or not")
	})
}
