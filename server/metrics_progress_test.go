package server_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// progressSource is a table whose rows may be touched as often as their
// lim says, a chunked migration over it in ranges of two keys, and a
// schema change that needs the table to itself.
func progressSource() fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"tenant/v1.0.0/001_t.up.sql": file(`CREATE TABLE t (k INT NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0,
    lim INT NOT NULL DEFAULT 1, CHECK (touched <= lim));`),
		"tenant/v1.0.0/001_t.down.sql": file("DROP TABLE t;"),
		"tenant/v1.1.0/002_touch.up.sql": file(`-- herd:chunked table=t key=k size=2
UPDATE t SET touched = touched + 1 WHERE k > :from AND k <= :to;
`),
		"tenant/v1.1.0/002_touch.down.sql": file("UPDATE t SET touched = 0;"),
		"tenant/v1.2.0/003_house.up.sql":   file("ALTER TABLE t ADD COLUMN house INT;"),
		"tenant/v1.2.0/003_house.down.sql": file("ALTER TABLE t DROP COLUMN house;"),
	}
}

// /metrics shows, from the control database, how far a chunked migration
// that stopped part-way got (until a later run finishes it), and counts
// the lock retries of a step that gave up on a lock, on every engine.
func TestMetricsShowChunkProgressAndLockRetries(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		ctx := t.Context()
		scratch := e.NewFleet(t, progressSource())
		scratch.WriteConfig(t, scratch.Config("lock_timeout: 1s\nlock_retries: 1\nmetrics: {per_tenant: true}\n"))
		fleet, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{Logger: herdtest.Logger(t)})
		require.NoError(t, err)
		t.Cleanup(func() {
			fleet.Close()
			scratch.DropTenants(t, []string{"c1"})
		})
		_, err = fleet.AddTenant(ctx, herd.TenantSpec{Code: "c1"})
		require.NoError(t, err)
		ref := control.TenantRef("c1")
		require.NoError(t, fleet.Migrate(ctx, ref, "1.0.0"))
		db, _, err := fleet.OpenTenant(ctx, "c1")
		require.NoError(t, err)
		defer db.Close()
		// Key 5 may not be touched: the walk's third range fails.
		_, err = db.DB.ExecContext(ctx, "INSERT INTO t (k, lim) VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 0), (6, 1)")
		require.NoError(t, err)
		clock := herdtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		b := &metricsBundle{t: t, ctx: ctx, fleet: fleet, clock: clock,
			base: start(t, fleet, server.Options{Now: clock.Now, RefreshEvery: time.Second, Logger: herdtest.Logger(t)}).base}

		// The walk fails in its third range: its first range's progress
		// stays in the control database and in the metrics.
		require.Error(t, fleet.Migrate(ctx, ref, "1.1.0"))
		progress, err := fleet.ChunkProgresses(ctx)
		require.NoError(t, err)
		require.Len(t, progress, 1)
		p := progress[0]
		require.Equal(t, ref, p.Ref)
		require.Equal(t, "v1.1.0/002_touch", p.Migration)
		require.Equal(t, "t", p.Table)
		// The first range's progress is recorded at once, the second's
		// only when it committed a second or more after the first.
		require.Contains(t, []int64{2, 4}, p.Rows)
		require.Equal(t, fmt.Sprint(p.Rows), p.LastKey, "keys 1 up to the last committed, one row each")
		require.InDelta(t, float64(p.Rows-1)/5, p.Share, 1e-9, "keys 1 to %d of 1 to 6", p.Rows)
		families := b.scrape()
		series := "target=tenant,migration=v1.1.0/002_touch"
		require.Equal(t, map[string]float64{series: 1}, gauge(t, families, "herd_chunk_migrations", "target", "migration"))
		require.Equal(t, map[string]float64{series: float64(p.Rows)}, gauge(t, families, "herd_chunk_rows", "target", "migration"))
		require.Equal(t, map[string]float64{"tenant=c1,migration=v1.1.0/002_touch": p.Share},
			gauge(t, families, "herd_chunk_tenant_share", "tenant", "migration"))
		require.InDelta(t, float64(p.UpdatedAt.UnixNano())/1e9,
			gauge(t, families, "herd_chunk_last_progress_timestamp_seconds", "target", "migration")[series], 1e-3)

		// Once key 5 may be touched, the next run finishes the walk and
		// its progress is gone.
		_, err = db.DB.ExecContext(ctx, "UPDATE t SET lim = 1 WHERE k = 5")
		require.NoError(t, err)
		require.NoError(t, fleet.Migrate(ctx, ref, "1.1.0"))
		progress, err = fleet.ChunkProgresses(ctx)
		require.NoError(t, err)
		require.Empty(t, progress)
		b.advance(10 * time.Second)
		families = b.scrape()
		require.NotContains(t, families, "herd_chunk_migrations")
		require.NotContains(t, families, "herd_chunk_rows")

		// An application's transaction holds the table through both tries
		// of the schema change: one retry, counted once the step fails.
		conn, err := db.DB.Conn(ctx)
		require.NoError(t, err)
		tx, err := conn.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = tx.ExecContext(ctx, "INSERT INTO t (k) VALUES (7)")
		require.NoError(t, err)
		err = fleet.Migrate(ctx, ref, "1.2.0")
		require.NoError(t, tx.Commit())
		require.NoError(t, conn.Close())
		var lockErr *execute.LockError
		require.True(t, errors.As(err, &lockErr), "a lock error: %v", err)
		history, err := fleet.HistoryAfter(ctx, 0, herd.MaxHistoryLimit)
		require.NoError(t, err)
		last := history[len(history)-1]
		require.Equal(t, "v1.2.0/003_house", last.Migration)
		require.Equal(t, control.HistoryFailed, last.Status)
		require.Equal(t, 1, last.LockRetries)
		b.advance(10 * time.Second)
		require.Equal(t, map[string]float64{"target=tenant,migration=v1.2.0/003_house": 1},
			gauge(t, b.scrape(), "herd_lock_retries_total", "target", "migration"))
	})
}
