package herd_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// itemsRows is how many rows itemsSource's table holds: keys 1, 4, 7, …,
// with gaps of two between them.
const itemsRows = 3000

// itemsSource: v1.0.0 makes table items of itemsRows rows whose keys have
// gaps, and herd_probe_test, whose one row's lag starts at 10; v1.1.0
// touches each item once, chunked (extra is appended to the files).
func itemsSource(extra fstest.MapFS) fstest.MapFS {
	src := fstest.MapFS{
		"tenant/v1.0.0/001_items.up.sql": file(`CREATE TABLE digits (d INT NOT NULL PRIMARY KEY);
INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, touched INT NOT NULL DEFAULT 0);
INSERT INTO items (id)
SELECT 3 * (a.d + 10 * b.d + 100 * c.d + 1000 * e.d) + 1
FROM digits a, digits b, digits c, digits e WHERE e.d < 3;
CREATE TABLE herd_probe_test (lag INT NOT NULL);
INSERT INTO herd_probe_test (lag) VALUES (10);
`),
		"tenant/v1.0.0/001_items.down.sql": file("DROP TABLE herd_probe_test;\nDROP TABLE items;\nDROP TABLE digits;"),
	}
	for k, v := range extra {
		src[k] = v
	}
	return src
}

// touchChunked is itemsSource's chunked SQL migration.
var touchChunked = fstest.MapFS{
	"tenant/v1.1.0/002_touch.up.sql": file(`-- herd:chunked table=items key=id size=100
UPDATE items SET touched = touched + 1 WHERE id > :from AND id <= :to;
`),
	"tenant/v1.1.0/002_touch.down.sql": file("UPDATE items SET touched = 0;"),
}

// events collects the step events of a fleet, safely for concurrent use,
// and runs on, if set, on each.
type events struct {
	mu   sync.Mutex
	all  []event.Event
	seen func(event.Event)
}

func (es *events) Send(e event.Event) {
	es.mu.Lock()
	es.all = append(es.all, e)
	seen := es.seen
	es.mu.Unlock()
	if seen != nil {
		seen(e)
	}
}

// of returns the events of type t, in order.
func (es *events) of(t event.Type) []event.Event {
	es.mu.Lock()
	defer es.mu.Unlock()
	var out []event.Event
	for _, e := range es.all {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

// throttledFleet is a fleet of one tenant, k1, at v1.0.0 of src, whose
// server's throttle probe is probe (max 5, every 10ms); its step events go
// to es.
func throttledFleet(t *testing.T, e herdtest.Engine, src fstest.MapFS, probe string, es *events) *bundle {
	t.Helper()
	b := setup(t, e, src)
	b.scratch.ServerFields = `throttle: {query: "` + probe + `", max: 5, interval: 10ms}`
	b.scratch.WriteConfig(t, b.scratch.Config(""))
	b.opts.Events = es
	b.reopen()
	b.addTenant("k1")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.0.0"))
	return b
}

// exec runs a statement in tenant code's database.
func (b *bundle) exec(code, stmt string) error {
	db, _, err := b.fleet.OpenTenant(b.ctx, code)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.DB.ExecContext(b.ctx, stmt)
	return err
}

// touchedOnce checks that every item of tenant code was touched exactly
// once and that its ledger counts each once.
func (b *bundle) touchedOnce(code, id string) {
	b.t.Helper()
	db, _, err := b.fleet.OpenTenant(b.ctx, code)
	require.NoError(b.t, err)
	defer db.Close()
	var rows, once int
	require.NoError(b.t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*), SUM(CASE WHEN touched = 1 THEN 1 ELSE 0 END) FROM items").Scan(&rows, &once))
	require.Equal(b.t, itemsRows, rows)
	require.Equal(b.t, itemsRows, once, "every row touched exactly once")
	row, ok := b.ledgerRow(code, id)
	require.True(b.t, ok)
	require.Equal(b.t, execute.StateApplied, row.State)
	require.Equal(b.t, int64(itemsRows), row.Chunk.Rows, "the ledger counts every row once")
}

// A chunked migration whose server's throttle probe reads over its max
// waits, with chunk.throttled events, until the probe reads under it
// (lowered here once the first wait is reported), then touches every row
// once; the throttled time is in its last chunk.progress event.
func TestChunkedMigrationWaitsOnThrottle(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		es := &events{}
		b := throttledFleet(t, e, itemsSource(touchChunked), "SELECT lag FROM herd_probe_test", es)
		lowered := make(chan error, 1)
		var once sync.Once
		es.mu.Lock()
		es.seen = func(ev event.Event) {
			if ev.Type == event.ChunkThrottled {
				once.Do(func() { go func() { lowered <- b.exec("k1", "UPDATE herd_probe_test SET lag = 1") }() })
			}
		}
		es.mu.Unlock()

		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.1.0"))
		require.NoError(t, <-lowered)
		throttled := es.of(event.ChunkThrottled)
		require.NotEmpty(t, throttled, "the migration waited on the probe")
		first := throttled[0]
		require.Equal(t, "v1.1.0/002_touch", first.Migration)
		require.NotNil(t, first.Throttle)
		require.Equal(t, event.Throttle{Server: "main", Value: 10, Max: 5}, event.Throttle{Server: first.Throttle.Server, Value: first.Throttle.Value, Max: first.Throttle.Max})
		progress := es.of(event.Chunk)
		require.NotEmpty(t, progress)
		last := progress[len(progress)-1].Chunk
		require.True(t, last.Done)
		require.Positive(t, last.Throttled, "the run's throttled time is reported")
		b.touchedOnce("k1", "v1.1.0/002_touch")
	})
}

// A throttle probe whose query fails fails the migration before its first
// range, naming the server and the query; once the probe works, the next
// run carries on.
func TestChunkedMigrationFailsOnBrokenProbe(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		tests := []struct{ name, probe, want string }{
			{"missing table", "SELECT lag FROM herd_probe_missing", "query \"SELECT lag FROM herd_probe_missing\""},
			{"not a number", "SELECT 'lots'", "query \"SELECT 'lots'\""},
			{"no row", "SELECT lag FROM herd_probe_test WHERE lag < 0", "no rows in result set"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := throttledFleet(t, e, itemsSource(touchChunked), tt.probe, &events{})
				err := b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.1.0")
				require.Error(t, err)
				require.True(t, errors.Is(err, execute.ErrThrottleProbe), "%v", err)
				require.ErrorContains(t, err, `server "main"`)
				require.ErrorContains(t, err, tt.want)
				require.Equal(t, 0, b.count("k1", "items WHERE touched > 0"), "no range ran")

				b.scratch.ServerFields = ""
				b.scratch.WriteConfig(t, b.scratch.Config(""))
				b.reopen()
				require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.1.0"))
				b.touchedOnce("k1", "v1.1.0/002_touch")
			})
		}
	})
}

// A run waiting on its throttle probe stops when its context ends,
// having run no range, and the next run carries on once the probe reads
// under its max.
func TestThrottleWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		es := &events{}
		b := throttledFleet(t, e, itemsSource(touchChunked), "SELECT lag FROM herd_probe_test", es)
		ctx, cancel := context.WithCancel(b.ctx)
		defer cancel()
		es.mu.Lock()
		es.seen = func(ev event.Event) {
			if ev.Type == event.ChunkThrottled {
				cancel()
			}
		}
		es.mu.Unlock()
		require.ErrorIs(t, b.fleet.Migrate(ctx, control.TenantRef("k1"), "1.1.0"), context.Canceled)
		require.Equal(t, 0, b.count("k1", "items WHERE touched > 0"), "no range ran")

		es.mu.Lock()
		es.seen = nil
		es.mu.Unlock()
		require.NoError(t, b.exec("k1", "UPDATE herd_probe_test SET lag = 5"))
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.1.0"))
		b.touchedOnce("k1", "v1.1.0/002_touch")
	})
}
