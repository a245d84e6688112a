package herd_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// Three herd rollout work processes share one rollout over 200 tenants
// through leases in a PostgreSQL (and a MariaDB) control database; one is
// killed mid-way, its tenants are taken over when their leases expire, and
// every tenant is migrated exactly once.
func TestThreeRunnersShareARollout(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Label != "postgres-schema" && e.Name != "mysql" {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			const tenants = 200
			b := witnessFleet(t, e, witnessSource(), "rollout:\n  concurrency: 4\n  batch_size: 4\n  lease: 3s\n", "r%03d", tenants)
			r, _, err := b.fleet.Rollouts(rollout.Options{}).Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
			require.NoError(t, err)

			var runners []*exec.Cmd
			var outs []fmt.Stringer
			for range 3 {
				cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "work", fmt.Sprint(r.ID))
				require.NoError(t, cmd.Start())
				runners = append(runners, cmd)
				outs = append(outs, out)
			}
			// Kill the first runner once the fleet is under way.
			require.Eventually(t, func() bool { return countState(t, b, r.ID, control.ItemDone) >= 20 }, 60*time.Second, 20*time.Millisecond)
			require.NoError(t, runners[0].Process.Kill())
			runners[0].Wait() //nolint:errcheck // killed on purpose
			for i, cmd := range runners[1:] {
				require.NoError(t, cmd.Wait(), "runner %d: %s", i+1, outs[i+1])
			}

			require.Equal(t, tenants, countState(t, b, r.ID, control.ItemDone))
			owners := map[string]int{}
			items, err := b.control().Items(b.ctx, r.ID)
			require.NoError(t, err)
			for _, it := range items {
				owners[it.LeaseOwner]++
			}
			require.GreaterOrEqual(t, len(owners), 2, "the work was shared: %v", owners)
			for i := 1; i <= tenants; i++ {
				code := fmt.Sprintf("r%03d", i)
				require.Equal(t, 1, b.count(code, "witness"), "tenant %s", code)
			}
			b.agree(control.TenantRef("r001"), "1.1.0")
			b.agree(control.TenantRef("r200"), "1.1.0")
		})
	}
}

func countState(t *testing.T, b *bundle, id int64, state control.ItemState) int {
	t.Helper()
	items, err := b.control().Items(b.ctx, id)
	require.NoError(t, err)
	n := 0
	for _, it := range items {
		if it.State == state {
			n++
		}
	}
	return n
}

// A SQLite control database serves one runner process: a second one is
// refused with a message that says so.
func TestSQLiteRefusesASecondRunner(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], witnessSource())
	b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  lease: 3s\nmaintenance_windows:\n  default: {days: [mon], hours: \"00:00-00:01\", time_zone: UTC}\n"))
	b.reopen()
	b.addTenant("alpha")
	release, err := b.control().GuardRunner()
	require.NoError(t, err)
	defer release()
	code, out := runCLI(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.0.0")
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "a SQLite control database serves one runner process")
	require.True(t, strings.Contains(out, ".runner.lock"), out)
}
