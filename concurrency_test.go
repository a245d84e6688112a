package herd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
)

// Two herd processes started at once on one tenant apply each migration
// exactly once: the second waits for the tenant's lock, re-reads the ledger
// and finds nothing to do.
func TestTwoProcessesMigrateOnce(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		b.addTenant("alpha")
		type proc struct {
			wait func() error
			out  fmt.Stringer
		}
		var procs []proc
		for range 2 {
			cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "migrate", "--tenant", "alpha")
			require.NoError(t, cmd.Start())
			procs = append(procs, proc{cmd.Wait, out})
		}
		for i, p := range procs {
			require.NoError(t, p.wait(), "process %d: %s", i, p.out)
		}
		history, err := b.control().History(b.ctx, control.TenantRef("alpha"))
		require.NoError(t, err)
		applied := map[string]int{}
		for _, h := range history {
			require.Equal(t, control.HistorySuccess, h.Status)
			applied[h.Migration]++
		}
		require.Len(t, applied, len(b.source().Migrations("tenant")))
		for id, n := range applied {
			require.Equal(t, 1, n, "%s applied %d times", id, n)
		}
		b.agree(control.TenantRef("alpha"), "2.0.0")
	})
}

// Two tenants on one server migrate at the same time: the lock is per
// database or schema, never per server. Each migration waits, inside its
// first statement, until the other tenant is inside one too; with a
// server-wide lock the second could never start.
func TestTenantsOnOneServerMigrateInParallel(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, brokenThird())
		for _, code := range []string{"alpha", "beta"} {
			b.addTenant(code)
		}
		inside := make(chan string, 2)
		both := make(chan struct{})
		var once sync.Once
		seen := map[string]bool{}
		var mu sync.Mutex
		observe := event.SinkFunc(func(ev event.Event) {
			if ev.Type != event.StatementStarted || ev.Statement != 1 || !strings.HasPrefix(ev.Database, "tenant") {
				return
			}
			mu.Lock()
			first := !seen[ev.Database]
			seen[ev.Database] = true
			if len(seen) == 2 {
				once.Do(func() { close(both) })
			}
			mu.Unlock()
			if !first {
				return
			}
			inside <- ev.Database
			select {
			case <-both:
			case <-time.After(30 * time.Second):
			}
		})
		f, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{Events: observe})
		require.NoError(t, err)
		defer f.Close()
		require.NoError(t, f.MigrateAll(b.ctx, "1.0.0", 2))
		select {
		case <-both:
		default:
			t.Fatal("the two tenants never ran a migration at the same time")
		}
		require.Len(t, inside, 2)
		b.agree(control.TenantRef("alpha"), "1.0.0")
		b.agree(control.TenantRef("beta"), "1.0.0")
	})
}

// A herd process killed while a statement runs. Where DDL is transactional
// the tenant stays exactly at the previous migration. On MySQL/MariaDB the
// ledger names the statement whose outcome is unknown, runs refuse the
// tenant, and herd repair finishes the job once told what happened.
func TestKilledBetweenStatements(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := brokenThird()
		delete(src, "tenant/v1.1.0/002_broken.up.sql")
		delete(src, "tenant/v1.1.0/002_broken.down.sql")
		src["tenant/v1.1.0/002_slow.up.sql"] = file("CREATE TABLE k1 (id INT);\n" +
			"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000) SELECT COUNT(*) FROM c;\n" +
			"CREATE TABLE k3 (id INT);\n")
		src["tenant/v1.1.0/002_slow.postgres.up.sql"] = file("CREATE TABLE k1 (id INT);\nSELECT pg_sleep(5);\nCREATE TABLE k3 (id INT);\n")
		// A DDL statement (herd settles a data statement by itself).
		src["tenant/v1.1.0/002_slow.mysql.up.sql"] = file("CREATE TABLE k1 (id INT);\nCREATE TABLE k2 AS SELECT SLEEP(3) AS s;\nCREATE TABLE k3 (id INT);\n")
		src["tenant/v1.1.0/002_slow.down.sql"] = file("DROP TABLE k3;\nSELECT 1;\nDROP TABLE k1;\n")
		b := setup(t, e, src)
		b.addTenant("alpha")
		alpha := control.TenantRef("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, alpha, "1.0.0"))

		cmd, out := herdProcess(t, "--config", b.scratch.ConfigPath, "migrate", "--tenant", "alpha")
		require.NoError(t, cmd.Start())
		waitForStatement(t, b, e, alpha, cmd)
		require.NoError(t, cmd.Process.Kill())
		require.Error(t, cmd.Wait(), out.String())

		entries, err := b.fleet.Ledger(b.ctx, alpha)
		require.NoError(t, err)
		if e.Name != "mysql" {
			require.Len(t, entries, 1, "the killed transaction must leave no trace")
			require.False(t, b.tableExists("alpha", "k1"))
			return
		}
		require.Len(t, entries, 2)
		dirty := entries[1]
		require.True(t, dirty.Uncertain(), dirty.Describe())
		require.Equal(t, 2, dirty.StatementStarted)
		require.Equal(t, 1, dirty.StatementsDone)
		require.Contains(t, dirty.Describe(), "statement 2 of 3 started and its outcome is unknown")

		code, output := runCLI(t, "--config", b.scratch.ConfigPath, "repair", "--tenant", "alpha")
		require.Equal(t, 0, code, output)
		require.Contains(t, output, "statement 2 of 3 started and its outcome is unknown")
		code, output = runCLI(t, "--config", b.scratch.ConfigPath, "migrate", "--tenant", "alpha")
		require.Equal(t, 2, code, output)
		require.Contains(t, output, "dirty")
		code, output = runCLI(t, "--config", b.scratch.ConfigPath, "repair", "--tenant", "alpha", "--action", "retry")
		require.Equal(t, 1, code, output)
		require.Contains(t, output, "--uncertain ran|not-ran")
		code, output = runCLI(t, "--config", b.scratch.ConfigPath, "repair", "--tenant", "alpha", "--action", "retry", "--uncertain", "ran")
		require.Equal(t, 0, code, output)
		b.agree(alpha, "1.1.0")
		require.True(t, b.tableExists("alpha", "k3"))
	})
}

// waitForStatement polls until the child process is inside statement 2 of
// the slow migration: on MySQL the ledger says so; elsewhere the statement
// runs inside a transaction that cannot be seen, so it waits for the
// child's first statement to have had time to start.
func waitForStatement(t *testing.T, b *bundle, e herdtest.Engine, ref control.Ref, cmd interface{ Wait() error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if e.Name != "mysql" {
			v, ok, err := b.control().Version(ctx, ref)
			require.NoError(t, err)
			if ok && v.Status == control.StatusRunning {
				time.Sleep(500 * time.Millisecond) // statement 1 is instant; statement 2 runs for seconds
				return
			}
		} else {
			entries, err := b.fleet.Ledger(ctx, ref)
			require.NoError(t, err)
			if len(entries) == 2 && entries[1].StatementStarted == 2 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal(errors.New("the child never reached statement 2"))
}

// migrate --all keeps to rollout.per_server as rollouts do: with a cap of
// one, at most one tenant of a server migrates at once, while the tenants
// of two servers migrate side by side.
func TestMigrateAllPerServerLimit(t *testing.T) {
	t.Parallel()
	pause := map[string]string{
		"sqlite":   "SELECT herd_test_sleep(200)",
		"postgres": "SELECT pg_sleep(0.2)",
		"mysql":    "SELECT SLEEP(0.2)",
	}
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, fstest.MapFS{"tenant/v1.0.0/001_wait.up.sql": file(pause[e.Name] + ";\n")})
		b.scratch.WriteConfig(t, b.scratch.ConfigServers([]string{"main", "second"}, "rollout:\n  concurrency: 4\n  per_server: 1\n"))
		server := map[string]string{}
		for _, s := range []string{"main", "second"} {
			for i := 1; i <= 3; i++ {
				server[fmt.Sprintf("%s_%d", s, i)] = s
			}
		}
		const all = "" // the key of the counts over both servers
		var (
			mu      sync.Mutex
			running = map[string]int{}
			peak    = map[string]int{}
		)
		b.opts.Events = event.SinkFunc(func(ev event.Event) {
			s, ok := server[ev.Tenant]
			if !ok {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch ev.Type {
			case event.MigrationStarted:
				for _, k := range []string{s, all} {
					running[k]++
					peak[k] = max(peak[k], running[k])
				}
			case event.MigrationDone, event.MigrationFailed:
				running[s]--
				running[all]--
			}
		})
		b.reopen()
		for code, s := range server {
			_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code, Server: s})
			require.NoError(t, err)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 4))
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, map[string]int{all: 2, "main": 1, "second": 1}, peak)
		for code := range server {
			b.agree(control.TenantRef(code), "1.0.0")
		}
	})
}
