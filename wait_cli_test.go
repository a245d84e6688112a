package herd_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// cliRun is the outcome of a herd run in the background.
type cliRun struct {
	code int
	out  string
}

// background runs herd in-process on its own goroutine, as another shell
// would, and returns where its outcome arrives.
func background(t *testing.T, config string, args ...string) <-chan cliRun {
	done := make(chan cliRun, 1)
	go func() {
		code, out := runCLI(t, append([]string{"--config", config}, args...)...)
		done <- cliRun{code, out}
	}()
	return done
}

// within waits at most d for a background run to end.
func within(t *testing.T, done <-chan cliRun, d time.Duration) cliRun {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("herd still running after %s", d)
		return cliRun{}
	}
}

// newestRollout returns the newest rollout once one is in status.
func (b *bundle) newestRollout(status control.RolloutStatus) control.Rollout {
	b.t.Helper()
	var r control.Rollout
	require.Eventually(b.t, func() bool {
		rs, err := b.control().Rollouts(b.ctx)
		require.NoError(b.t, err)
		if len(rs) == 0 {
			return false
		}
		r = rs[len(rs)-1]
		return r.Status == status
	}, 20*time.Second, 20*time.Millisecond, "no rollout reached %s", status)
	return r
}

// A rollout started with --at waits for its time, and a pause or an
// abort from another shell ends the wait: the runner exits 3 (paused) or
// 1 (aborted) at once, with no tenant touched.
func TestScheduledRolloutHonoursPauseAndAbort(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		run := cliAt(t, b.scratch.ConfigPath)
		at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

		for _, tc := range []struct {
			verb   string
			status control.RolloutStatus
			code   int
			want   string
		}{
			{"pause", control.RolloutPaused, 3, "is paused"},
			{"abort", control.RolloutAborted, 1, "was aborted"},
		} {
			done := background(t, b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0", "--at", at)
			r := b.newestRollout(control.RolloutScheduled)
			run(0, "rollout", tc.verb, fmt.Sprint(r.ID))
			res := within(t, done, 10*time.Second)
			require.Equal(t, tc.code, res.code, "%s: %s", tc.verb, res.out)
			require.Contains(t, res.out, tc.want)
			got, err := b.control().Rollout(b.ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, tc.status, got.Status)
			require.False(t, b.tableExists("alpha", "u"), "%s: alpha was migrated", tc.verb)
			if tc.verb == "pause" {
				// Resumed before its time, it waits for it again.
				done = background(t, b.scratch.ConfigPath, "rollout", "resume", fmt.Sprint(r.ID))
				b.newestRollout(control.RolloutScheduled)
				run(0, "rollout", "abort", fmt.Sprint(r.ID))
				require.Equal(t, 1, within(t, done, 10*time.Second).code)
				require.False(t, b.tableExists("alpha", "u"), "alpha was migrated on resume")
			}
		}
	})
}

// The pause between batches ends when the rollout stops running: a wave
// over its failure budget halts at once, and a pause from another shell
// is obeyed within a second, not after pause_between_batches.
func TestPauseBetweenBatchesEndsEarly(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.Config(`rollout:
  concurrency: 1
  batch_size: 1
  lease: 5s
  failure_budget: 0
  pause_between_batches: 1h
`))
		b.reopen()
		for _, code := range []string{"a_bad", "b_good", "c_good", "d_good"} {
			_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code})
			require.NoError(t, err)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		b.duplicateID("a_bad")
		run := cliAt(t, b.scratch.ConfigPath)

		res := within(t, background(t, b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0", "--tenants", "a_bad,b_good"), 20*time.Second)
		require.Equal(t, 1, res.code, res.out)
		require.Contains(t, res.out, "over its failure budget")
		require.False(t, b.tableExists("b_good", "u"), "b_good was migrated after the halt")
		run(0, "rollout", "abort")

		done := background(t, b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0", "--tenants", "c_good,d_good")
		r := b.newestRollout(control.RolloutRunning)
		require.Eventually(t, func() bool {
			items, err := b.control().Items(b.ctx, r.ID)
			require.NoError(t, err)
			return items[0].State == control.ItemDone
		}, 20*time.Second, 20*time.Millisecond)
		run(0, "rollout", "pause", fmt.Sprint(r.ID))
		res = within(t, done, 10*time.Second)
		require.Equal(t, 3, res.code, res.out)
		require.True(t, b.tableExists("c_good", "u"))
		require.False(t, b.tableExists("d_good", "u"), "d_good was migrated after the pause")
	})
}
