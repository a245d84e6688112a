package herd_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/source"
)

// A Go migration runs in the migration's transaction (or on the pinned
// connection), is recorded like a SQL one and rolls back through its Down.
func TestGoMigration(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		scratch := e.NewFleet(t, brokenThirdWithout002())
		backfill := source.GoMigration{
			Target: source.Tenant,
			ID:     "v1.1.0/002_seed_base_in_go",
			Up: func(ctx context.Context, db source.DB) error {
				for i := 1; i <= 3; i++ {
					if _, err := db.ExecContext(ctx, fmt.Sprintf("INSERT INTO base (id) VALUES (%d)", i)); err != nil {
						return err
					}
				}
				return nil
			},
			Down: func(ctx context.Context, db source.DB) error {
				_, err := db.ExecContext(ctx, "DELETE FROM base")
				return err
			},
		}
		f, err := herd.Open(context.Background(), scratch.Load(t), herdtest.Dialects(), herd.Options{Go: []source.GoMigration{backfill}})
		require.NoError(t, err)
		b := &bundle{t: t, ctx: context.Background(), engine: e, scratch: scratch, fleet: f}
		t.Cleanup(func() {
			require.NoError(t, f.Close())
			scratch.DropTenants(t, []string{"alpha"})
		})
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")

		require.NoError(t, f.Migrate(b.ctx, alpha, "1.1.0"))
		require.Equal(t, 3, b.count("alpha", "base"))
		history, err := f.History(b.ctx, alpha)
		require.NoError(t, err)
		require.Equal(t, "v1.1.0/002_seed_base_in_go", history[len(history)-1].Migration)
		require.Equal(t, "data", history[len(history)-1].Kind)

		require.NoError(t, f.Migrate(b.ctx, alpha, "1.0.0"))
		require.Equal(t, 0, b.count("alpha", "base"))
	})
}

func brokenThirdWithout002() fstest.MapFS {
	src := brokenThird()
	delete(src, "tenant/v1.1.0/002_broken.up.sql")
	delete(src, "tenant/v1.1.0/002_broken.down.sql")
	return src
}

// count returns the rows of a table in a tenant's database.
func (b *bundle) count(code, table string) int {
	b.t.Helper()
	db, _, err := b.fleet.OpenTenant(b.ctx, code)
	require.NoError(b.t, err)
	defer db.Close()
	var n int
	require.NoError(b.t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}
