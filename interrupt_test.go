package herd_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/cli"
	"github.com/herdhq/herd/internal/herdtest"
)

// A statement of about a second and a half on each engine, so that the
// tenants that started are still in flight when the interrupt comes.
var slowStatement = map[string]string{
	"sqlite":   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 7000000) SELECT COUNT(*) FROM c",
	"postgres": "SELECT pg_sleep(1.5)",
	"mysql":    "SELECT SLEEP(1.5)",
}

// The first SIGINT stops a real herd rollout gracefully: the tenants in
// flight finish and are recorded, no other tenant is claimed, and herd
// exits 3; resume then migrates the rest, each tenant exactly once.
func TestRolloutStopsGracefullyOnInterrupt(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := witnessSource()
		src["tenant/v1.1.0/003_wait.up.sql"] = file(slowStatement[e.Name] + ";\n")
		src["tenant/v1.1.0/003_wait.down.sql"] = file("SELECT 1;\n")
		const tenants = 6
		b := witnessFleet(t, e, src, "rollout:\n  concurrency: 2\n  batch_size: 2\n  lease: 5s\n", "g%d", tenants)

		cmd, stderr := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0", "--json")
		cmd.Stdout = nil
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines, started := bufio.NewScanner(stdout), 0
		for lines.Scan() {
			if strings.Contains(lines.Text(), `"type":"tenant.started"`) {
				if started++; started == 2 {
					require.NoError(t, cmd.Process.Signal(os.Interrupt))
				}
			}
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "herd: %v: %s", err, stderr)
		require.Equal(t, cli.ExitWaiting, exit.ExitCode(), stderr.String())
		require.Contains(t, stderr.String(), "herd: stopping: no new tenant is claimed")
		require.Contains(t, stderr.String(), "stopped on request after the tenants in flight finished")

		r, err := b.fleet.Control().LatestUnfinished(b.ctx)
		require.NoError(t, err)
		require.Equal(t, control.RolloutRunning, r.Status)
		items, err := b.fleet.Control().Items(b.ctx, r.ID)
		require.NoError(t, err)
		done := 0
		for _, it := range items {
			switch it.State {
			case control.ItemDone:
				done++
				b.agree(control.TenantRef(it.Tenant), "1.1.0")
			case control.ItemPending:
				require.Zero(t, it.Attempts, "%s was claimed after the interrupt", it.Tenant)
			default:
				t.Fatalf("%s is %s after a graceful stop: %s", it.Tenant, it.State, it.Error)
			}
		}
		require.GreaterOrEqual(t, done, 2, "the tenants in flight finished")
		require.Less(t, done, tenants, "the interrupt stopped the rollout before its end")

		cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "resume")
		require.NoError(t, cmd.Run(), out.String())
		for i := 1; i <= tenants; i++ {
			code := fmt.Sprintf("g%d", i)
			require.Equal(t, 1, b.count(code, "witness"), "tenant %s migrated more than once, or never", code)
			b.agree(control.TenantRef(code), "1.1.0")
		}
	})
}
