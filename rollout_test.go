package herd_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// waveSource: v1.0.0 creates t; v1.1.0 creates u with a primary key and
// copies t's ids into it, which fails for a tenant whose t holds a
// duplicate id.
func waveSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_create_t.up.sql":   file("CREATE TABLE t (id INT, v INT);"),
		"tenant/v1.0.0/001_create_t.down.sql": file("DROP TABLE t;"),
		"tenant/v1.1.0/002_create_u.up.sql":   file("CREATE TABLE u (id INT PRIMARY KEY);"),
		"tenant/v1.1.0/002_create_u.down.sql": file("DROP TABLE u;"),
		"tenant/v1.1.0/003_copy.up.sql":       file("-- herd:kind data\nINSERT INTO u (id) SELECT id FROM t;"),
		"tenant/v1.1.0/003_copy.down.sql":     file("DELETE FROM u;"),
	}
}

// duplicateID gives tenant code, at waveSource's v1.0.0, a duplicate id
// in t, so that its v1.1.0 fails.
func (b *bundle) duplicateID(code string) {
	b.t.Helper()
	db, _, err := b.fleet.OpenTenant(b.ctx, code)
	require.NoError(b.t, err)
	_, err = db.DB.ExecContext(b.ctx, "INSERT INTO t (id, v) VALUES (1, 1), (1, 2)")
	require.NoError(b.t, err)
	require.NoError(b.t, db.Close())
}

const wavesYAML = `rollout:
  concurrency: 4
  batch_size: 4
  lease: 5s
  failure_budget: %s
  waves:
    - name: canary
      tiers: [canary]
    - name: gold
      tiers: [gold]
    - name: rest
`

// fleetOf60 registers 5 canary, 25 gold and 30 standard tenants at
// v1.0.0; gold_07 holds a duplicate id, so its v1.1.0 fails.
func fleetOf60(t *testing.T, e herdtest.Engine, budget string) *bundle {
	b := setup(t, e, waveSource())
	b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(wavesYAML, budget)))
	b.reopen()
	tiers := []struct {
		tier string
		n    int
	}{{"canary", 5}, {"gold", 25}, {"standard", 30}}
	for _, tier := range tiers {
		for i := 1; i <= tier.n; i++ {
			code := fmt.Sprintf("%s_%02d", tier.tier, i)
			_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code, Tier: tier.tier})
			require.NoError(t, err)
		}
	}
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 4))
	b.duplicateID("gold_07")
	return b
}

func TestRolloutWavesWithAFailingTenant(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, tc := range []struct {
			name, budget string
		}{{"budget 2 completes", "2"}, {"budget 0 halts", "0"}} {
			t.Run(tc.name, func(t *testing.T) {
				b := fleetOf60(t, e, tc.budget)
				m := b.fleet.Rollouts(rollout.Options{})
				r, items, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
				require.NoError(t, err)
				require.Len(t, items, 60)
				out, err := m.Work(b.ctx, r.ID)
				require.NoError(t, err)
				require.Equal(t, 1, out.Failed)

				items, err = b.control().Items(b.ctx, r.ID)
				require.NoError(t, err)
				byTenant := map[string]control.Item{}
				for _, it := range items {
					byTenant[it.Tenant] = it
				}
				poisoned := byTenant["gold_07"]
				require.Equal(t, control.ItemRolledBack, poisoned.State)
				require.Contains(t, poisoned.Error, "rolled back to v1.0.0")
				b.agreeRolledBack(control.TenantRef("gold_07"), "1.0.0")

				if tc.budget == "2" {
					require.Equal(t, control.RolloutCompletedWithFailures, out.Rollout.Status, "within budget, with a failure")
					require.Equal(t, "1 of 60 tenants failed or were rolled back", out.Rollout.Reason)
					for _, it := range items {
						if it.Tenant != "gold_07" {
							require.Equal(t, control.ItemDone, it.State, it.Tenant)
						}
					}
					b.agree(control.TenantRef("standard_30"), "1.1.0")
					retryAfterFix(t, b, m, r.ID)
					return
				}
				require.Equal(t, control.RolloutHalted, out.Rollout.Status)
				require.Contains(t, out.Rollout.Reason, `wave "gold": 1 of 25 tenants failed`)
				claimed := 0
				for _, it := range items {
					switch it.WaveName {
					case "canary":
						require.Equal(t, control.ItemDone, it.State)
					case "gold":
						if it.Attempts > 0 {
							claimed++
							require.False(t, it.StartedAt.After(*poisoned.FinishedAt), "%s started after gold_07 was rolled back", it.Tenant)
						}
					default:
						require.Equal(t, control.ItemPending, it.State, it.Tenant)
						require.Zero(t, it.Attempts, "%s was touched after the halt", it.Tenant)
						v, _, err := b.control().Version(b.ctx, control.TenantRef(it.Tenant))
						require.NoError(t, err)
						require.Equal(t, "1.0.0", v.CurrentVersion)
					}
				}
				// gold_07 is the wave's seventh tenant: those claimed before
				// its failure was known ran, and the rest of the wave did not.
				require.GreaterOrEqual(t, claimed, 7)
				require.Less(t, claimed, 25)
			})
		}
	})
}

// retryAfterFix repairs gold_07's data and retries rollout id's failed
// tenants: only gold_07 runs again and the rollout completes again. A
// second retry finds nothing to do and leaves the rollout as it is.
func retryAfterFix(t *testing.T, b *bundle, m *rollout.Manager, id int64) {
	t.Helper()
	db, _, err := b.fleet.OpenTenant(b.ctx, "gold_07")
	require.NoError(t, err)
	_, err = db.DB.ExecContext(b.ctx, "DELETE FROM t WHERE v = 2")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	r, n, err := m.RetryFailed(b.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.Equal(t, control.RolloutRunning, r.Status)
	out, err := m.Work(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
	items, err := b.control().Items(b.ctx, id)
	require.NoError(t, err)
	for _, it := range items {
		require.Equal(t, control.ItemDone, it.State, it.Tenant)
		want := 1
		if it.Tenant == "gold_07" {
			want = 2
		}
		require.Equal(t, want, it.Attempts, it.Tenant)
	}
	b.agree(control.TenantRef("gold_07"), "1.1.0")

	r, n, err = m.RetryFailed(b.ctx, id)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, control.RolloutCompleted, r.Status)
	r, err = b.control().Rollout(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, control.RolloutCompleted, r.Status, "a retry with nothing to retry changes nothing")
}

// A batch keeps concurrency tenants running across servers and at most
// per_server on each: the four tenants of main come first in the batch,
// and the two that do not fit on main must not hold up those of second.
// The first four tenants to start wait for one another (or 30 seconds,
// so that a runner that let a full server stop the batch fails instead of
// hanging).
func TestRolloutPerServerLimit(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.ConfigServers([]string{"main", "second"}, `rollout:
  concurrency: 4
  per_server: 2
  batch_size: 8
  lease: 5s
`))
		b.reopen()
		server := map[string]string{}
		for _, s := range []string{"main", "second"} {
			for i := 1; i <= 4; i++ {
				code := fmt.Sprintf("%s_%d", s, i)
				_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code, Server: s})
				require.NoError(t, err)
				server[code] = s
			}
		}

		const all = "" // the key of the counts over both servers
		var (
			mu       sync.Mutex
			running  = map[string]int{}
			peak     = map[string]int{}
			started  []string
			together = make(chan struct{})
		)
		sink := event.SinkFunc(func(ev event.Event) {
			mu.Lock()
			first := false
			switch ev.Type {
			case event.TenantStarted:
				for _, k := range []string{server[ev.Tenant], all} {
					running[k]++
					peak[k] = max(peak[k], running[k])
				}
				started = append(started, ev.Tenant)
				first = len(started) <= 4
				if len(started) == 4 {
					close(together)
				}
			case event.TenantDone, event.TenantFailed, event.TenantRolledBack, event.TenantSkipped:
				running[server[ev.Tenant]]--
				running[all]--
			}
			mu.Unlock()
			if first {
				select {
				case <-together:
				case <-time.After(30 * time.Second):
				}
			}
		})

		m := b.fleet.Rollouts(rollout.Options{Events: sink})
		r, items, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.0.0"})
		require.NoError(t, err)
		require.Len(t, items, 8)
		out, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)

		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, map[string]int{all: 4, "main": 2, "second": 2}, peak)
		require.ElementsMatch(t, []string{"main_1", "main_2", "second_1", "second_2"}, started[:4],
			"the first four to start ran together, two on each server")
		items, err = b.control().Items(b.ctx, r.ID)
		require.NoError(t, err)
		for _, it := range items {
			require.Equal(t, control.ItemDone, it.State, it.Tenant)
			require.Equal(t, server[it.Tenant], it.Server, it.Tenant)
		}
		b.agree(control.TenantRef("main_4"), "1.0.0")
		b.agree(control.TenantRef("second_4"), "1.0.0")
	})
}

// A run of a rollout that succeeds ends its tenant's lease in the commit
// that records it, so that its runner makes no commit of its own to
// release the tenant; a run that fails leaves the lease to its runner,
// which rolls the tenant back first.
func TestMigrateBegunReleasesTheLease(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		for _, code := range []string{"alpha", "bad"} {
			_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code})
			require.NoError(t, err)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		b.duplicateID("bad")

		store := b.control()
		id, err := store.CreateRollout(b.ctx, control.Rollout{Release: "v1.1.0", SystemVersion: "0.0.0", TenantVersion: "1.1.0",
			Selector: "all", Status: control.RolloutRunning}, []control.Item{
			{Tenant: "alpha", Server: "main", WaveName: "all", State: control.ItemPending, FromVersion: "1.0.0"},
			{Tenant: "bad", Server: "main", WaveName: "all", Position: 1, State: control.ItemPending, FromVersion: "1.0.0"},
		})
		require.NoError(t, err)
		items, err := store.Items(b.ctx, id)
		require.NoError(t, err)
		run := func(it control.Item) (*control.LeaseEnd, error) {
			t.Helper()
			r, ok, err := store.ClaimRun(b.ctx, it, "runner-1", time.Hour, "1.1.0")
			require.NoError(t, err)
			require.True(t, ok)
			end := &control.LeaseEnd{Lease: r.Lease, Took: func() time.Duration { return time.Second }}
			return end, b.fleet.MigrateBegun(b.ctx, *r.Tenant, "v1.1.0", r.Before, end)
		}

		end, err := run(items[0])
		require.NoError(t, err)
		require.True(t, end.Committed, "the run's commit carried the release")
		require.True(t, end.Held)
		items, err = store.Items(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, control.ItemDone, items[0].State)
		require.Equal(t, int64(1000), items[0].DurationMS)

		end, err = run(items[1])
		require.Error(t, err)
		require.False(t, end.Committed, "a failed run leaves the lease to its runner")
		items, err = store.Items(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, control.ItemRunning, items[1].State)
	})
}
