package herd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

const day = 24 * time.Hour

// onServer reports whether the tenant server holds a database, schema or
// SQLite file named name, asking the server's own catalog (pg_database,
// information_schema.schemata) or the SQLite folder rather than herd.
func (b *bundle) onServer(name string) bool {
	b.t.Helper()
	if b.engine.Name == "sqlite" {
		files, err := filepath.Glob(filepath.Join(strings.TrimPrefix(b.scratch.ServerDSN, "sqlite:"), name+"*"))
		require.NoError(b.t, err)
		return len(files) > 0
	}
	var d dialect.Dialect
	for _, candidate := range herdtest.Dialects() {
		if candidate.Name() == b.engine.Name {
			d = candidate
		}
	}
	srv, err := d.OpenServer(b.ctx, dialect.ServerConfig{Name: "check", DSN: b.scratch.ServerDSN})
	require.NoError(b.t, err)
	defer srv.Close()
	db, err := srv.Control(b.ctx)
	require.NoError(b.t, err)
	defer db.Close()
	q := `SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?`
	if b.engine.Name == "postgres" && !b.engine.SchemaPerTenant() {
		q = `SELECT COUNT(*) FROM pg_database WHERE datname = ?`
	}
	var n int
	require.NoError(b.t, db.DB.QueryRowContext(b.ctx, dialect.Bind(d, q), name).Scan(&n))
	return n > 0
}

// listed returns what herd snapshot list --json prints.
func listed(t *testing.T, cli func(int, ...string) string, args ...string) []control.Snapshot {
	t.Helper()
	var sns []control.Snapshot
	require.NoError(t, json.Unmarshal([]byte(cli(0, append([]string{"snapshot", "list", "--json"}, args...)...)), &sns))
	return sns
}

// names returns the snapshots' names.
func names(sns []control.Snapshot) []string {
	out := []string{}
	for _, sn := range sns {
		out = append(out, sn.Name)
	}
	return out
}

// takeAt takes a snapshot of tenant code with the fleet's clock at at.
func (b *bundle) takeAt(clock *herdtest.Clock, at time.Time, code string) control.Snapshot {
	b.t.Helper()
	clock.Set(at)
	sn, err := b.fleet.TakeSnapshot(b.ctx, code, 0)
	require.NoError(b.t, err)
	require.True(b.t, b.onServer(sn.Name), "snapshot %s just taken", sn.Name)
	return sn
}

// Snapshots taken by hand and by a rollout are listed; drop --older-than
// shows what it would drop until --yes, then drops them from the server
// and the control database; one snapshot is dropped by its id.
func TestSnapshotListAndDrop(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, noDownSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  lease: 3s\n  snapshots: {when: always, retain: {}}\n"))
		now := time.Now()
		clock := herdtest.NewClock(now)
		b.opts.Now = clock.Now
		b.reopen()
		cli := cliAt(t, b.scratch.ConfigPath)
		require.Equal(t, "no snapshots\n", cli(0, "snapshot", "list"))

		for _, code := range []string{"alpha", "beta"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
		}
		alphaOld := b.takeAt(clock, now.Add(-40*day), "alpha")
		alphaMid := b.takeAt(clock, now.Add(-20*day), "alpha")
		betaOld := b.takeAt(clock, now.Add(-40*day), "beta")
		clock.Set(now)
		r, _, err := b.fleet.Rollouts(rollout.Options{}).Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		out, err := b.fleet.Rollouts(rollout.Options{}).Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)

		all := listed(t, cli)
		require.Len(t, all, 5)
		require.Equal(t, []string{alphaOld.Name, betaOld.Name, alphaMid.Name}, names(all[:3]), "oldest first")
		for _, sn := range all[3:] {
			require.Equal(t, r.ID, sn.Rollout, "taken by the rollout")
			require.Equal(t, "1.0.0", sn.Version)
			require.True(t, b.onServer(sn.Name))
		}
		require.Len(t, listed(t, cli, "--tenant", "alpha"), 3)
		table := cli(0, "snapshot", "list", "--tenant", "beta")
		require.Contains(t, table, "ID  TENANT  VERSION")
		require.Contains(t, table, betaOld.Name)
		require.NotContains(t, table, alphaOld.Name)

		// Without --yes: what would go, and nothing changes.
		dry := cli(0, "snapshot", "drop", "--older-than", "30d")
		require.Contains(t, dry, "would drop 2 snapshot(s) (older than 30d); run again with --yes")
		require.Contains(t, dry, alphaOld.Name)
		require.Contains(t, dry, betaOld.Name)
		require.NotContains(t, dry, alphaMid.Name)
		require.Len(t, listed(t, cli), 5)
		require.True(t, b.onServer(alphaOld.Name))
		require.True(t, b.onServer(betaOld.Name))

		require.Contains(t, cli(0, "snapshot", "drop", "--older-than", "30d", "--yes"), "dropped 2 snapshot(s) (older than 30d)")
		require.False(t, b.onServer(alphaOld.Name))
		require.False(t, b.onServer(betaOld.Name))
		require.NotContains(t, names(listed(t, cli)), alphaOld.Name)
		require.Len(t, listed(t, cli), 3)
		require.Contains(t, cli(0, "snapshot", "drop", "--older-than", "30d", "--yes"), "no snapshot to drop")

		// By id, at once.
		require.Equal(t, "dropped snapshot "+strconv.FormatInt(alphaMid.ID, 10)+" ("+alphaMid.Name+" of tenant alpha at v1.0.0)\n",
			cli(0, "snapshot", "drop", strconv.FormatInt(alphaMid.ID, 10)))
		require.False(t, b.onServer(alphaMid.Name))
		require.Len(t, listed(t, cli), 2)
		require.Contains(t, cli(2, "snapshot", "drop", strconv.FormatInt(alphaMid.ID, 10)), "no snapshot")

		drops := b.audit("snapshot.drop")
		require.Len(t, drops, 3)
		require.Equal(t, "alpha", drops[0].Subject)
		require.Contains(t, drops[0].Detail, alphaOld.Name+" at v1.0.0")
		require.Contains(t, drops[0].Detail, "older than 30d")
		require.Contains(t, drops[2].Detail, alphaMid.Name)
		require.Contains(t, drops[2].Detail, "dropped by id")

		// The rollout's snapshot still takes alpha back.
		require.Contains(t, cli(0, "rollback", "--to", "v1.0.0", "--tenant", "alpha"), "tenant alpha: at v1.0.0 (snapshot herd_snap_")
	})
}

// Bad input to herd snapshot exits 2 and drops nothing.
func TestSnapshotBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], noDownSource())
	b.addTenant("alpha")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
	sn, err := b.fleet.TakeSnapshot(b.ctx, "alpha", 0)
	require.NoError(t, err)
	cli := cliAt(t, b.scratch.ConfigPath)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no selector", []string{"snapshot", "drop"}, "needs one of ID, --older-than AGE or --expired"},
		{"two selectors", []string{"snapshot", "drop", "1", "--expired"}, "needs one of ID, --older-than AGE or --expired"},
		{"age without a unit", []string{"snapshot", "drop", "--older-than", "30"}, `--older-than: "30" is not an age`},
		{"zero age", []string{"snapshot", "drop", "--older-than", "0d", "--yes"}, "--older-than: must be above 0"},
		{"negative age", []string{"snapshot", "drop", "--older-than", "-1h", "--yes"}, "--older-than: must not be negative"},
		{"id not a number", []string{"snapshot", "drop", "first"}, `snapshot id "first" is not a positive whole number`},
		{"id with --yes", []string{"snapshot", "drop", "1", "--yes"}, "--tenant and --yes are for --older-than and --expired"},
		{"unknown id", []string{"snapshot", "drop", "999"}, "snapshot 999: no snapshot"},
		{"bad tenant code", []string{"snapshot", "list", "--tenant", "Alpha"}, `tenant code "Alpha"`},
		{"no subcommand", []string{"snapshot"}, "herd snapshot needs a subcommand: list or drop"},
	}
	for _, tt := range tests {
		require.Contains(t, cli(2, tt.args...), tt.want, tt.name)
	}
	require.True(t, b.onServer(sn.Name))
	require.Len(t, listed(t, cli), 1)
}

// Retention {count: 2, age: 30d} applies to a tenant after each snapshot
// of it; snapshot drop --expired applies it to every tenant.
func TestSnapshotRetention(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, noDownSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  snapshots:\n    when: never\n    retain: {count: 2, age: 30d}\n"))
		now := time.Now()
		clock := herdtest.NewClock(now)
		b.opts.Now = clock.Now
		b.reopen()
		cli := cliAt(t, b.scratch.ConfigPath)
		for _, code := range []string{"alpha", "beta"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
		}
		kept := func(code string) []string {
			t.Helper()
			sns, err := b.fleet.Snapshots(b.ctx, code)
			require.NoError(t, err)
			return names(sns)
		}

		first := b.takeAt(clock, now.Add(-60*day), "alpha")
		second := b.takeAt(clock, now.Add(-50*day), "alpha")
		beta := b.takeAt(clock, now.Add(-45*day), "beta")
		require.Equal(t, []string{first.Name, second.Name}, kept("alpha"), "two are within the count")
		third := b.takeAt(clock, now.Add(-45*day), "alpha")
		require.Equal(t, []string{second.Name, third.Name}, kept("alpha"), "the oldest beyond the count goes")
		require.False(t, b.onServer(first.Name))

		fourth := b.takeAt(clock, now, "alpha")
		require.Equal(t, []string{fourth.Name}, kept("alpha"), "those older than 30 days go")
		require.False(t, b.onServer(second.Name))
		require.False(t, b.onServer(third.Name))
		require.Equal(t, []string{beta.Name}, kept("beta"), "another tenant's snapshot is left for the next prune")
		require.True(t, b.onServer(beta.Name))

		dry := cli(0, "snapshot", "drop", "--expired")
		require.Contains(t, dry, "would drop 1 snapshot(s) (retention {count: 2, age: 30d})")
		require.Contains(t, dry, beta.Name)
		require.True(t, b.onServer(beta.Name))
		require.Contains(t, cli(0, "snapshot", "drop", "--expired", "--yes", "--tenant", "alpha"), "no snapshot to drop")
		require.Contains(t, cli(0, "snapshot", "drop", "--expired", "--yes"), "dropped 1 snapshot(s)")
		require.False(t, b.onServer(beta.Name))
		require.Empty(t, kept("beta"))
		require.True(t, b.onServer(fourth.Name))

		drops := b.audit("snapshot.drop")
		require.Len(t, drops, 4)
		for _, d := range drops {
			require.Contains(t, d.Detail, "retention {count: 2, age: 30d}")
		}
	})
}

// tenant remove --drop-database drops the tenant's snapshots with its
// database; without it, both stay.
func TestRemoveTenantDropsSnapshots(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, noDownSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  lease: 3s\n  snapshots: always\n"))
		b.reopen()
		cli := cliAt(t, b.scratch.ConfigPath)
		for _, code := range []string{"alpha", "beta"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "1.0.0"))
		}
		extra, err := b.fleet.TakeSnapshot(b.ctx, "alpha", 0)
		require.NoError(t, err)
		cli(0, "rollout", "start", "--to", "v1.1.0")
		alpha := listed(t, cli, "--tenant", "alpha")
		require.Len(t, alpha, 2)
		require.Equal(t, extra.Name, alpha[0].Name)
		beta := listed(t, cli, "--tenant", "beta")
		require.Len(t, beta, 1)
		database := b.scratch.Load(t).TenantDatabaseName("alpha")
		require.True(t, b.onServer(database))

		cli(0, "tenant", "remove", "alpha", "--drop-database")
		require.False(t, b.onServer(database))
		for _, sn := range alpha {
			require.False(t, b.onServer(sn.Name), "snapshot %s of a removed tenant", sn.Name)
		}
		require.Empty(t, listed(t, cli, "--tenant", "alpha"))
		require.Equal(t, names(beta), names(listed(t, cli)), "another tenant's snapshots stay")
		require.True(t, b.onServer(beta[0].Name))
		removed := b.audit("tenant.remove")
		require.Len(t, removed, 1)
		require.Equal(t, "dropped database "+database+" and 2 snapshot(s)", removed[0].Detail)
		require.Len(t, b.audit("snapshot.drop"), 2)

		cli(0, "tenant", "remove", "beta")
		require.True(t, b.onServer(beta[0].Name), "kept with the database")
		require.Equal(t, names(beta), names(listed(t, cli, "--tenant", "beta")))
	})
}

// The SQLite folder of a fleet holds nothing but tenant files once its
// tenants are removed with their databases.
func TestRemoveTenantLeavesNoSnapshotFile(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], noDownSource())
	b.addTenant("alpha")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
	for range 2 {
		_, err := b.fleet.TakeSnapshot(b.ctx, "alpha", 0)
		require.NoError(t, err)
	}
	require.NoError(t, b.fleet.RemoveTenant(b.ctx, "alpha", true))
	entries, err := os.ReadDir(strings.TrimPrefix(b.scratch.ServerDSN, "sqlite:"))
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	require.Empty(t, left)
}
