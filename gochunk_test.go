package herd_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/source"
)

// errInjected is the failure a test's range function returns on purpose.
var errInjected = errors.New("injected failure")

// goTouch is a chunked Go migration that touches each item of
// itemsSource once, 100 keys a range, through the Chunker its db offers.
// It counts the ranges it is called for in calls, and fails the range
// whose count is failAt (0: none).
func goTouch(e herdtest.Engine, calls, failAt *atomic.Int64) source.GoMigration {
	touch := "UPDATE items SET touched = touched + 1 WHERE id > ? AND id <= ?"
	if e.Name == "postgres" {
		touch = "UPDATE items SET touched = touched + 1 WHERE id > $1 AND id <= $2"
	}
	return source.GoMigration{
		Target: source.Tenant,
		ID:     "v1.1.0/002_touch_in_go",
		Chunk:  &source.Chunk{Table: "items", Key: "id", Size: 100},
		Up: func(ctx context.Context, db source.DB) error {
			c, ok := db.(source.Chunker)
			if !ok {
				return fmt.Errorf("the db of a chunked Go migration is a %T, not a source.Chunker", db)
			}
			return c.Chunks(ctx, func(ctx context.Context, tx source.DB, from, to any) (int64, error) {
				if n := calls.Add(1); n == failAt.Load() {
					return 0, errInjected
				}
				if _, ok := from.(int64); !ok {
					return 0, fmt.Errorf("from is a %T, want int64", from)
				}
				res, err := tx.ExecContext(ctx, touch, from, to)
				if err != nil {
					return 0, err
				}
				return res.RowsAffected()
			})
		},
		Down: func(ctx context.Context, db source.DB) error {
			_, err := db.ExecContext(ctx, "UPDATE items SET touched = 0")
			return err
		},
	}
}

// A chunked Go migration walks its key as a chunked SQL migration does: a
// run that fails in range k keeps the k-1 ranges before it, recorded in
// the ledger, and the next run resumes at range k, so that every row is
// touched exactly once; its down runs as any Go migration's.
func TestChunkedGoMigrationResumes(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		const failAt, ranges = 5, itemsRows / 100
		var calls, fail atomic.Int64
		b := setup(t, e, itemsSource(nil))
		es := &events{}
		b.opts.Go = []source.GoMigration{goTouch(e, &calls, &fail)}
		b.opts.Events = es
		b.reopen()
		b.addTenant("k1")
		k1 := control.TenantRef("k1")
		require.NoError(t, b.fleet.Migrate(b.ctx, k1, "1.0.0"))

		fail.Store(failAt)
		err := b.fleet.Migrate(b.ctx, k1, "1.1.0")
		require.ErrorIs(t, err, errInjected)
		require.ErrorContains(t, err, "range of id above 1198 up to 1498")
		row, ok := b.ledgerRow("k1", "v1.1.0/002_touch_in_go")
		require.True(t, ok)
		require.Equal(t, execute.StateDirty, row.State)
		require.Equal(t, &execute.Progress{Last: "1198", HasLast: true, Rows: (failAt - 1) * 100}, row.Chunk,
			"the ranges before the failed one are recorded done")
		require.Equal(t, (failAt-1)*100, b.count("k1", "items WHERE touched = 1"))

		fail.Store(0)
		calls.Store(0)
		require.NoError(t, b.fleet.Migrate(b.ctx, k1, "1.1.0"))
		require.Equal(t, int64(ranges-failAt+1), calls.Load(), "the second run starts at the range that failed")
		b.touchedOnce("k1", "v1.1.0/002_touch_in_go")
		progress := es.of("chunk.progress")
		require.NotEmpty(t, progress)
		last := progress[len(progress)-1].Chunk
		require.Equal(t, "items", last.Table)
		require.True(t, last.Done)
		require.Equal(t, int64(itemsRows), last.Rows)

		require.NoError(t, b.fleet.Migrate(b.ctx, k1, "1.0.0"))
		require.Equal(t, 0, b.count("k1", "items WHERE touched > 0"))
	})
}

// A chunked Go migration whose Up never walks its key fails rather than
// record a walk that did not happen.
func TestChunkedGoMigrationMustWalk(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, itemsSource(nil))
		b.opts.Go = []source.GoMigration{{Target: source.Tenant, ID: "v1.1.0/002_idle", Chunk: &source.Chunk{Table: "items", Key: "id"},
			Up: func(context.Context, source.DB) error { return nil }}}
		b.reopen()
		b.addTenant("k1")
		require.ErrorIs(t, b.fleet.Migrate(b.ctx, control.TenantRef("k1"), "1.1.0"), execute.ErrChunksNotCalled)
	})
}

// A small tenant (herd analyze, below large_tenants) runs a chunked Go
// migration whole: its Chunks calls the range function once, for every
// key, in the migration's transaction.
func TestChunkedGoMigrationRunsWholeForSmallTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		var calls, fail atomic.Int64
		b := setup(t, e, itemsSource(nil))
		b.scratch.WriteConfig(t, b.scratch.Config("large_tenants: {rows: 1000000}\n"))
		b.opts.Go = []source.GoMigration{goTouch(e, &calls, &fail)}
		b.reopen()
		b.addTenant("k1")
		k1 := control.TenantRef("k1")
		require.NoError(t, b.fleet.Migrate(b.ctx, k1, "1.0.0"))
		_, err := b.fleet.AnalyzeTenants(b.ctx, herd.Selection{Tenants: "k1"}, 1)
		require.NoError(t, err)

		require.NoError(t, b.fleet.Migrate(b.ctx, k1, "1.1.0"))
		require.Equal(t, int64(1), calls.Load(), "one range: every key")
		row, ok := b.ledgerRow("k1", "v1.1.0/002_touch_in_go")
		require.True(t, ok)
		require.Nil(t, row.Chunk, "no ranges")
		require.Equal(t, itemsRows, b.count("k1", "items WHERE touched = 1"))
	})
}
