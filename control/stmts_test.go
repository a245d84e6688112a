package control_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// On an engine that runs in herd's process (SQLite), the writes that
// record a run go through prepared statements, reused from one run to the
// next, and past MaxCached distinct statements the rest run unprepared;
// elsewhere none are kept. Runs of every length are recorded whole.
func TestPreparedWritesAreReusedAndBounded(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
		store, err := control.Open(b.ctx, b.d, b.db, func() time.Time { return now })
		require.NoError(t, err)
		require.NoError(t, store.AddTenant(b.ctx, control.Tenant{Code: "alpha", Name: "alpha", Server: "main", Database: "alpha", CreatedAt: now}))
		ref := control.TenantRef("alpha")

		results := func(n int) []execute.Result {
			out := make([]execute.Result, n)
			for i := range out {
				m := &source.Migration{Version: semver.MustParse("1.0.0"), Name: fmt.Sprintf("%03d_step", i+1), Kind: source.Schema}
				out[i] = execute.Result{Migration: m, Direction: plan.Up, Checksum: "c", Started: now, Duration: time.Millisecond}
			}
			return out
		}
		_, inProcess := b.d.(dialect.InProcess)
		require.NoError(t, store.Finish(b.ctx, ref, "1.0.0", nil, results(3), "test", "first"))
		cached := store.CachedStatements()
		if inProcess {
			require.Positive(t, cached)
		} else {
			require.Zero(t, cached)
		}
		require.NoError(t, store.Finish(b.ctx, ref, "1.0.0", nil, results(3), "test", "again"))
		require.Equal(t, cached, store.CachedStatements(), "a second run of the same shape prepares nothing new")

		rows := 6
		for n := 1; n <= control.MaxCached+5; n++ {
			require.NoError(t, store.Finish(b.ctx, ref, "1.0.0", nil, results(n), "test", fmt.Sprint(n)))
			rows += n
		}
		if inProcess {
			require.Equal(t, control.MaxCached, store.CachedStatements())
		} else {
			require.Zero(t, store.CachedStatements())
		}
		history, err := store.History(b.ctx, ref)
		require.NoError(t, err)
		require.Len(t, history, rows, "every run's history is there, prepared or not")
	})
}
