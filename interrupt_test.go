package herd_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/cli"
	"github.com/herdhq/herd/internal/herdtest"
)

// A statement of a second and a half on each engine (herd_test_sleep:
// see TestMain), so that the tenants that started are still in flight when
// the interrupt comes.
var slowStatement = map[string]string{
	"sqlite":   "SELECT herd_test_sleep(1500)",
	"postgres": "SELECT pg_sleep(1.5)",
	"mysql":    "SELECT SLEEP(1.5)",
}

// running counts the databases that the control database shows running,
// in one query.
func running(b *bundle) int {
	b.t.Helper()
	versions, err := b.control().Versions(b.ctx)
	require.NoError(b.t, err)
	count := 0
	for _, v := range versions {
		if v.Status == control.StatusRunning {
			count++
		}
	}
	return count
}

// The first SIGINT stops a real herd rollout, or migrate --all, gracefully:
// the tenants in flight finish and are recorded, no other tenant is
// started, and herd exits 3; running it again migrates the rest, each
// tenant exactly once.
func TestInterruptStopsGracefully(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, tc := range []struct {
			name        string
			args, again []string
			stopped     string // what herd says when it stopped
		}{
			{name: "rollout", args: []string{"rollout", "start", "--to", "v1.1.0"}, again: []string{"rollout", "resume"},
				stopped: "stopped on request after the tenants in flight finished"},
			{name: "migrate --all", args: []string{"migrate", "--all", "--to", "v1.1.0", "--concurrency", "2"}, again: []string{"migrate", "--all"},
				stopped: "of 6 tenants not started; migrate --all again carries on"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				src := witnessSource()
				src["tenant/v1.1.0/003_wait.up.sql"] = file(slowStatement[e.Name] + ";\n")
				src["tenant/v1.1.0/003_wait.down.sql"] = file("SELECT 1;\n")
				const tenants = 6
				b := witnessFleet(t, e, src, "rollout:\n  concurrency: 2\n  batch_size: 2\n  lease: 5s\n", "g%d", tenants)

				cmd, out := herdProcess(t, append([]string{"--config", b.scratch.ConfigPath}, tc.args...)...)
				require.NoError(t, cmd.Start())
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				for running(b) < 2 {
					select {
					case err := <-exited:
						t.Fatalf("herd ended before two tenants ran (%v): %s", err, out)
					case <-time.After(10 * time.Millisecond):
					}
				}
				require.NoError(t, cmd.Process.Signal(os.Interrupt))
				err := <-exited
				var exit *exec.ExitError
				require.True(t, errors.As(err, &exit), "herd: %v: %s", err, out)
				require.Equal(t, cli.ExitWaiting, exit.ExitCode(), out.String())
				require.Contains(t, out.String(), "herd: stopping: no new tenant is claimed")
				require.Contains(t, out.String(), tc.stopped)

				done := 0
				for i := 1; i <= tenants; i++ {
					ref := control.TenantRef(fmt.Sprintf("g%d", i))
					v, _, err := b.control().Version(b.ctx, ref)
					require.NoError(t, err)
					require.NotEqual(t, control.StatusRunning, v.Status, "%s is left running", ref)
					if v.CurrentVersion == "1.1.0" {
						done++
						b.agree(ref, "1.1.0")
					} else {
						require.Equal(t, "1.0.0", v.CurrentVersion, ref.String())
						require.Zero(t, b.count(ref.Identifier, "witness"), "%s was migrated after the interrupt", ref)
					}
				}
				// migrate --all marks a batch running as its first tenant
				// starts, so two rows running may mean one tenant in
				// flight: the second is put back when the stop comes first.
				inFlight := 2
				if tc.name == "migrate --all" {
					inFlight = 1
				}
				require.GreaterOrEqual(t, done, inFlight, "the tenants in flight finished")
				require.Less(t, done, tenants, "the interrupt stopped before the end")
				if tc.name == "rollout" {
					r, err := b.control().LatestUnfinished(b.ctx)
					require.NoError(t, err)
					items, err := b.control().Items(b.ctx, r.ID)
					require.NoError(t, err)
					for _, it := range items {
						require.Contains(t, []control.ItemState{control.ItemDone, control.ItemPending}, it.State, it.Tenant)
						if it.State == control.ItemPending {
							require.Zero(t, it.Attempts, "%s was claimed after the interrupt", it.Tenant)
						}
					}
				}

				cmd, out = herdProcess(t, append([]string{"--config", b.scratch.ConfigPath}, tc.again...)...)
				require.NoError(t, cmd.Run(), out.String())
				for i := 1; i <= tenants; i++ {
					code := fmt.Sprintf("g%d", i)
					require.Equal(t, 1, b.count(code, "witness"), "tenant %s migrated more than once, or never", code)
					b.agree(control.TenantRef(code), "1.1.0")
				}
			})
		}
	})
}

// MigrateAll whose graceful stop is already requested starts no tenant and says so
// with ErrStopped.
func TestMigrateAllStopped(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, witnessSource(), "", "s%d", 3)
		f, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{})
		require.NoError(t, err)
		defer f.Close()

		ctx, stop := herd.WithStop(b.ctx)
		stop()
		err = f.MigrateAll(ctx, "1.1.0", 2)
		require.ErrorIs(t, err, herd.ErrStopped)
		require.EqualError(t, err, "stopped on request: 3 of 3 tenants not started; migrate --all again carries on")
		for i := 1; i <= 3; i++ {
			b.agree(control.TenantRef(fmt.Sprintf("s%d", i)), "1.0.0")
		}
	})
}
