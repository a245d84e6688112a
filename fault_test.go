package herd_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/rollout"
)

// dropSessions ends, on the server, every other connection to the
// database db is connected to, as a failover or a network blip would: it
// returns how many it ended.
func dropSessions(ctx context.Context, t *testing.T, engine string, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	switch engine {
	case "postgres":
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n))
		return n
	case "mysql":
		rows, err := conn.QueryContext(ctx, `SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()`)
		require.NoError(t, err)
		var ids []int64
		for rows.Next() {
			var id int64
			require.NoError(t, rows.Scan(&id))
			ids = append(ids, id)
		}
		require.NoError(t, rows.Err())
		for _, id := range ids {
			// A connection may have ended meanwhile: "Unknown thread id".
			conn.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)) //nolint:errcheck // see above
		}
		return len(ids)
	}
	t.Fatalf("dropSessions: no way to drop sessions on %s", engine)
	return 0
}

// A migration that committed stays committed whatever fails after it: its
// tenant's connections are dropped right after the commit, before the
// migration lock is released, and the tenant is reported done, is at the
// release in both ledgers, and no down migration ran.
func TestConnectionLostAfterCommit(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Label != "postgres" && e.Label != "mysql" {
			continue // SQLite has no connection to lose; schema tenants share the control's database
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			const tenants = 3
			b := witnessFleet(t, e, witnessSource(), "rollout:\n  concurrency: 1\n  batch_size: 3\n  failure_budget: 100%\n", "k%d", tenants)

			var dropped atomic.Int64
			var faulty *herd.Fleet
			hook := event.SinkFunc(func(ev event.Event) {
				var code string
				if ev.Type != event.MigrationDone || ev.Direction != string(plan.Up) {
					return
				}
				if _, err := fmt.Sscanf(ev.Database, "tenant %q", &code); err != nil {
					return // the system database
				}
				db, _, err := faulty.OpenTenant(context.Background(), code)
				require.NoError(t, err)
				defer db.Close()
				dropped.Add(int64(dropSessions(context.Background(), t, e.Name, db.DB)))
			})
			faulty, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{Events: hook, Logger: herdtest.Logger(t)})
			require.NoError(t, err)
			defer faulty.Close()

			// One tenant by herd migrate, the others by a rollout.
			require.NoError(t, faulty.Migrate(b.ctx, control.TenantRef("k1"), "v1.1.0"))
			m := faulty.Rollouts(rollout.Options{})
			r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0", Selector: "k2,k3"})
			require.NoError(t, err)
			out, err := m.Work(b.ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
			require.Zero(t, out.Failed)
			require.GreaterOrEqual(t, dropped.Load(), int64(tenants), "each tenant's session was dropped")

			items, err := b.control().Items(b.ctx, r.ID)
			require.NoError(t, err)
			for _, it := range items {
				require.Equal(t, control.ItemDone, it.State, "%s: %s", it.Tenant, it.Error)
			}
			for i := 1; i <= tenants; i++ {
				code := fmt.Sprintf("k%d", i)
				require.Equal(t, 1, b.count(code, "witness"), "%s: a down migration undid the committed one", code)
				b.agree(control.TenantRef(code), "1.1.0")
				history, err := b.control().History(b.ctx, control.TenantRef(code))
				require.NoError(t, err)
				for _, h := range history {
					require.NotEqual(t, control.HistoryRolledBack, h.Status, "%s: %s was rolled back", code, h.Migration)
				}
			}
		})
	}
}

// A runner rides out the loss of its control database's connections: they
// are all dropped right after each tenant's commit, before the control
// database records it, and the rollout still completes with every tenant
// done once and the two ledgers agreeing.
func TestControlConnectionLost(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Label != "postgres" && e.Label != "mysql" {
			continue // SQLite has no connection to lose
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			const tenants = 3
			b := witnessFleet(t, e, witnessSource(), "rollout:\n  concurrency: 1\n  batch_size: 3\n", "c%d", tenants)
			srv, err := dialect.Named(herdtest.Dialects(), e.Name).OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: b.scratch.ControlDSN})
			require.NoError(t, err)
			defer srv.Close()
			admin, err := srv.Control(b.ctx)
			require.NoError(t, err)
			defer admin.Close()

			var dropped atomic.Int64
			hook := event.SinkFunc(func(ev event.Event) {
				if ev.Type == event.MigrationDone && ev.Direction == string(plan.Up) {
					dropped.Add(int64(dropSessions(context.Background(), t, e.Name, admin.DB)))
				}
			})
			faulty, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{Events: hook, Logger: herdtest.Logger(t)})
			require.NoError(t, err)
			defer faulty.Close()
			m := faulty.Rollouts(rollout.Options{})
			r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
			require.NoError(t, err)
			out, err := m.Work(b.ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
			require.Positive(t, dropped.Load(), "the control database's sessions were dropped")
			// The drops took the test's own idle connections to the control
			// database too; read what herd recorded through fresh ones.
			stale := b.fleet
			b.fleet, b.store = nil, nil
			b.reopen()
			stale.Close() //nolint:errcheck // closing what was dropped under it may fail; nothing to check
			for i := 1; i <= tenants; i++ {
				code := fmt.Sprintf("c%d", i)
				require.Equal(t, 1, b.count(code, "witness"), code)
				b.agree(control.TenantRef(code), "1.1.0")
			}
		})
	}
}
