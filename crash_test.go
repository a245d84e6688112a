package herd_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// witnessSource: v1.1.0 inserts one row into a table without a unique key.
// A tenant migrated twice would hold two rows.
func witnessSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_create_witness.up.sql":   file("CREATE TABLE witness (n INT);"),
		"tenant/v1.0.0/001_create_witness.down.sql": file("DROP TABLE witness;"),
		"tenant/v1.1.0/002_witness.up.sql":          file("-- herd:kind data\nINSERT INTO witness (n) VALUES (1);"),
		"tenant/v1.1.0/002_witness.down.sql":        file("DELETE FROM witness;"),
	}
}

// witnessFleet makes a fleet of src with herd.yaml's extra, registers n
// tenants coded by format (with 1 to n) and migrates them to v1.0.0.
func witnessFleet(t *testing.T, e herdtest.Engine, src fs.FS, extra, format string, n int) *bundle {
	t.Helper()
	b := setup(t, e, src)
	b.scratch.WriteConfig(t, b.scratch.Config(extra))
	b.reopen()
	for i := 1; i <= n; i++ {
		b.addTenant(fmt.Sprintf(format, i))
	}
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 8))
	return b
}

const crashYAML = `rollout:
  concurrency: 2
  batch_size: 2
  lease: 3s
  failure_budget: 100%
`

// crashKills is how many random kills each engine's crash test makes;
// HERD_CRASH_KILLS raises it for a longer run.
func crashKills() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("HERD_CRASH_KILLS"), &n); err == nil && n > 0 {
		return n
	}
	return 6
}

// A rollout killed with SIGKILL at each named point of the protocol, and at
// random moments, resumes with every tenant migrated exactly once and the
// two ledgers agreeing.
func TestRolloutSurvivesKills(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		const tenants = 10
		b := witnessFleet(t, e, witnessSource(), crashYAML, "w%02d", tenants)
		config := b.scratch.ConfigPath

		// Named points: each run dies at the first tenant that reaches it.
		kills := 0
		for i, point := range []string{"claimed", "committed", "migrated", "released"} {
			args := []string{"--config", config, "rollout", "resume"}
			if i == 0 {
				args = []string{"--config", config, "rollout", "start", "--to", "v1.1.0"}
			}
			cmd, out := herdProcess(t, args...)
			cmd.Env = append(cmd.Env, "HERD_TEST_CRASH_AT="+point)
			cmd.Run() //nolint:errcheck // it kills itself on purpose
			require.Contains(t, out.String(), "crash point "+point, "point %s did not fire: %s", point, out)
			kills++
		}
		// Random moments.
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
		midway := 0
		for range crashKills() {
			cmd, _ := herdProcess(t, "--config", config, "rollout", "resume")
			require.NoError(t, cmd.Start())
			time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
			cmd.Process.Kill() //nolint:errcheck // it may have finished
			cmd.Wait()         //nolint:errcheck // killed on purpose
			kills++
			if _, err := b.control().LatestUnfinished(b.ctx); err == nil {
				midway++
			}
		}
		t.Logf("%s: %d kills, %d of the %d random ones with the rollout unfinished", e.Label, kills, midway, crashKills())

		cmd, out := herdProcess(t, "--config", config, "rollout", "resume")
		err := cmd.Run()
		if err != nil && (strings.Contains(out.String(), "is completed; cannot resume") ||
			strings.Contains(out.String(), "no unfinished rollout")) {
			err = nil // the rollout ended before the last random kill
		}
		require.NoError(t, err, out.String())

		for i := 1; i <= tenants; i++ {
			code := fmt.Sprintf("w%02d", i)
			require.Equal(t, 1, b.count(code, "witness"), "tenant %s migrated more than once, or never", code)
			b.agree(control.TenantRef(code), "1.1.0")
		}
	})
}

// A tenant left with an uncertain statement by a kill fails its rollout
// (herd never guesses); once herd repair settles it, the rollout's item
// agrees, and resuming the rollout completes it.
func TestRepairResolvesARolloutsTenant(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := witnessSource()
		// Whether an ALTER TABLE ran, herd does not read from the catalog.
		src["tenant/v1.1.0/003_two_tables.up.sql"] = file("-- herd:no-transaction\nCREATE TABLE a (n INT);\nALTER TABLE a ADD COLUMN m INT;")
		src["tenant/v1.1.0/003_two_tables.down.sql"] = file("ALTER TABLE a DROP COLUMN m;\nDROP TABLE a;")
		b := witnessFleet(t, e, src, "rollout:\n  concurrency: 1\n  lease: 3s\n  failure_budget: 0\n", "u%d", 2)
		herdAt := cliAt(t, b.scratch.ConfigPath)

		cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0")
		cmd.Env = append(cmd.Env, "HERD_TEST_CRASH_AT=v1.1.0/003_two_tables#2")
		cmd.Run() //nolint:errcheck // it kills itself on purpose
		require.Contains(t, out.String(), "crash point v1.1.0/003_two_tables#2")

		// The tenant's outcome is uncertain: the rollout halts on it.
		res := herdAt(1, "rollout", "resume")
		require.Contains(t, res, "outcome is unknown")
		rollouts, err := b.control().Rollouts(b.ctx)
		require.NoError(t, err)
		r := rollouts[len(rollouts)-1]
		require.Equal(t, control.RolloutHalted, r.Status, res)

		herdAt(0, "repair", "--tenant", "u1", "--action", "retry", "--uncertain", "not-ran")
		items, err := b.control().Items(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.ItemDone, items[0].State, "u1 after repair: %s", items[0].Error)
		require.Contains(t, items[0].Error, "resolved by herd repair")

		herdAt(0, "rollout", "resume")
		r, err = b.control().Rollout(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, r.Status)
		for _, code := range []string{"u1", "u2"} {
			b.agree(control.TenantRef(code), "1.1.0")
			require.Equal(t, 1, b.count(code, "witness"), code)
		}
	})
}

// A kill after a migration committed outside a transaction, before the
// control database heard of it, and before the next migration began
// (its transaction rolled back), leaves a clean ledger that the history
// lags; resume records the committed migration in the history as it
// runs the rest.
func TestResumeRecordsWhatAKillLeftUnrecorded(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := fstest.MapFS{
			"tenant/v1.0.0/001_create_witness.up.sql":   file("CREATE TABLE witness (n INT);"),
			"tenant/v1.0.0/001_create_witness.down.sql": file("DROP TABLE witness;"),
			"tenant/v1.1.0/002_extra.up.sql":            file("-- herd:no-transaction\nCREATE TABLE extra (n INT);"),
			"tenant/v1.1.0/002_extra.down.sql":          file("DROP TABLE extra;"),
			"tenant/v1.1.0/003_witness.up.sql":          file("-- herd:kind data\nINSERT INTO witness (n) VALUES (1);"),
			"tenant/v1.1.0/003_witness.down.sql":        file("DELETE FROM witness;"),
		}
		b := witnessFleet(t, e, src, "rollout:\n  concurrency: 1\n  lease: 3s\n  failure_budget: 0\n", "r%d", 1)

		const point = "v1.1.0/003_witness#1"
		cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0")
		cmd.Env = append(cmd.Env, "HERD_TEST_CRASH_AT="+point)
		cmd.Run() //nolint:errcheck // it kills itself on purpose
		require.Contains(t, out.String(), "crash point "+point)
		entries, err := b.fleet.Ledger(b.ctx, control.TenantRef("r1"))
		require.NoError(t, err)
		require.Equal(t, "v1.1.0/002_extra", entries[len(entries)-1].ID, "the kill left 002 committed and 003 not begun")

		cliAt(t, b.scratch.ConfigPath)(0, "rollout", "resume")
		b.agree(control.TenantRef("r1"), "1.1.0")
		require.Equal(t, 1, b.count("r1", "witness"))
	})
}

// A kill before the first statement of a migration that runs outside a
// transaction, a data statement, leaves the migration not begun (that
// statement writes the migration's row in its own transaction); a kill
// before the CREATE TABLE after it leaves that statement uncertain, and
// the database settles it (the table exists or not). Either way resume
// finishes the rollout by itself, with every statement run once.
func TestResumeSettlesUncertainStatements(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, tt := range []struct {
			point     string
			uncertain bool
		}{{"v1.1.0/003_fill_then_create#1", false}, {"v1.1.0/003_fill_then_create#2", true}} {
			t.Run(tt.point[len(tt.point)-1:], func(t *testing.T) {
				src := witnessSource()
				src["tenant/v1.1.0/003_fill_then_create.up.sql"] = file("-- herd:no-transaction\nINSERT INTO witness (n) VALUES (2);\nCREATE TABLE extra (n INT);")
				src["tenant/v1.1.0/003_fill_then_create.down.sql"] = file("DROP TABLE extra;\nDELETE FROM witness WHERE n = 2;")
				b := witnessFleet(t, e, src, "rollout:\n  concurrency: 1\n  lease: 3s\n  failure_budget: 0\n", "v%d", 2)

				cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0")
				cmd.Env = append(cmd.Env, "HERD_TEST_CRASH_AT="+tt.point)
				cmd.Run() //nolint:errcheck // it kills itself on purpose
				require.Contains(t, out.String(), "crash point "+tt.point)
				entries, err := b.fleet.Ledger(b.ctx, control.TenantRef("v1"))
				require.NoError(t, err)
				last := entries[len(entries)-1]
				if tt.uncertain {
					require.True(t, last.Uncertain(), "the kill left the statement uncertain: %s", last.Describe())
				} else {
					require.Equal(t, "v1.1.0/002_witness", last.ID, "the kill left the migration not begun: %s", last.Describe())
				}

				cliAt(t, b.scratch.ConfigPath)(0, "rollout", "resume")
				for _, code := range []string{"v1", "v2"} {
					b.agree(control.TenantRef(code), "1.1.0")
					require.Equal(t, 2, b.count(code, "witness"), "%s: every insert ran once", code)
					require.True(t, b.tableExists(code, "extra"), code)
				}
			})
		}
	})
}
