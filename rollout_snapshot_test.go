package herd_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// TestRolloutSnapshotFails: a tenant whose rollback point cannot be taken
// is not migrated and not "rolled back" under snapshots: required (and its
// older spelling breaking); under best_effort it is migrated anyway, since
// down migrations can take it back, and its item says so. The snapshot is
// made to fail by a snapshot of the same tenant taken at the same instant
// of a frozen clock: the names collide.
func TestRolloutSnapshotFails(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, tc := range []struct {
			when     string
			migrated bool
			message  string
		}{
			{"required", false, "snapshot failed: "},
			{"breaking", false, "snapshot failed: "},
			{"best_effort", true, "migrated without one (best_effort: down migrations can take it back)"},
		} {
			t.Run(tc.when, func(t *testing.T) {
				frozen := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
				b := setup(t, e, waveSource())
				b.opts.Now = func() time.Time { return frozen }
				b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`releases:
  v1.1.0: {breaking_changes: true}
rollout:
  failure_budget: 5
  snapshots: {when: %s}
`, tc.when)))
				b.reopen()
				for _, code := range []string{"alpha", "bravo"} {
					b.addTenant(code)
				}
				require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
				_, err := b.fleet.TakeSnapshot(b.ctx, "bravo", 0)
				require.NoError(t, err)

				m := b.fleet.Rollouts(rollout.Options{})
				r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
				require.NoError(t, err)
				_, err = m.Work(b.ctx, r.ID)
				require.NoError(t, err)
				items, err := b.control().Items(b.ctx, r.ID)
				require.NoError(t, err)
				byTenant := map[string]control.Item{}
				for _, it := range items {
					byTenant[it.Tenant] = it
				}
				require.Equal(t, control.ItemDone, byTenant["alpha"].State)
				b.agree(control.TenantRef("alpha"), "1.1.0")

				bravo := byTenant["bravo"]
				require.Contains(t, bravo.Error, tc.message)
				require.NotContains(t, bravo.Error, "rolled back")
				if tc.migrated {
					require.Equal(t, control.ItemDone, bravo.State)
					b.agree(control.TenantRef("bravo"), "1.1.0")
					return
				}
				require.Equal(t, control.ItemFailed, bravo.State)
				require.Contains(t, bravo.Error, ", not migrated")
				require.False(t, b.tableExists("bravo", "u"), "nothing ran")
				entries, err := b.fleet.Ledger(b.ctx, control.TenantRef("bravo"))
				require.NoError(t, err)
				require.Len(t, entries, 1, "the ledger holds v1.0.0 alone")
			})
		}
	})
}
