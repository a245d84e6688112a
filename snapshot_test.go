package herd_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/snapshot"
)

// noDownSource: v1.1.0 drops a column and has no down migration, so only
// a snapshot can take a tenant back.
func noDownSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_create_pupils.up.sql":   file("CREATE TABLE pupils (id INT PRIMARY KEY, name VARCHAR(50), note VARCHAR(50));"),
		"tenant/v1.0.0/001_create_pupils.down.sql": file("DROP TABLE pupils;"),
		"tenant/v1.1.0/002_drop_note.up.sql":       file("ALTER TABLE pupils DROP COLUMN note;"),
	}
}

// A rollout takes a rollback point before a tenant's migration (policy
// "always"); herd rollback, finding no down migration, restores it, and the
// tenant's rows come back exactly (checksum equal per table).
func TestRollbackRestoresSnapshot(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, noDownSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  lease: 3s\n  snapshots: always\n"))
		b.reopen()
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		db, d, err := b.fleet.OpenTenant(b.ctx, "alpha")
		require.NoError(t, err)
		_, err = db.DB.ExecContext(b.ctx, "INSERT INTO pupils (id, name, note) VALUES (1, 'Asha', 'prefect'), (2, 'Ravi', NULL), (3, 'Zoë', 'ünïcode')")
		require.NoError(t, err)
		before, err := snapshot.Checksums(b.ctx, d, db)
		require.NoError(t, err)
		require.NoError(t, db.Close())

		m := b.fleet.Rollouts(rollout.Options{})
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		out, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)

		// Writes after the snapshot are discarded by a restore.
		db, _, err = b.fleet.OpenTenant(b.ctx, "alpha")
		require.NoError(t, err)
		_, err = db.DB.ExecContext(b.ctx, "INSERT INTO pupils (id, name) VALUES (4, 'Late')")
		require.NoError(t, err)
		require.NoError(t, db.Close())

		code, output := runCLI(t, "--config", b.scratch.ConfigPath, "rollback", "--to", "v1.0.0", "--tenant", "alpha")
		require.Equal(t, 0, code, output)
		require.Contains(t, output, "tenant alpha: at v1.0.0 (snapshot herd_snap_")

		db, d, err = b.fleet.OpenTenant(b.ctx, "alpha")
		require.NoError(t, err)
		after, err := snapshot.Checksums(b.ctx, d, db)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		require.Equal(t, before, after)
		b.agree(control.TenantRef("alpha"), "1.0.0")
		history, err := b.control().History(b.ctx, control.TenantRef("alpha"))
		require.NoError(t, err)
		last := history[len(history)-1]
		require.Equal(t, "v1.1.0/002_drop_note", last.Migration)
		require.Equal(t, control.HistoryRolledBack, last.Status)
		require.Regexp(t, `^undone by restoring snapshot herd_snap_\S+; no down migration ran$`, last.Error, "a restore is recorded as one")

		// Back at v1.1.0, a tenant with no snapshot at the target is refused.
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.1.0"))
		b.addTenant("beta")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("beta"), "1.1.0"))
		code, output = runCLI(t, "--config", b.scratch.ConfigPath, "rollback", "--to", "v1.0.0", "--tenant", "beta")
		require.Equal(t, 2, code, output)
		require.Contains(t, output, "no down migration")
		require.Contains(t, output, "no snapshot at v1.0.0")
	})
}

// everyObjectSource is a tenant source whose v1.0.0 holds every kind of
// object a rollback point must copy (the dialect suite's fixtures), and
// whose breaking v1.1.0 adds a table.
func everyObjectSource(t *testing.T) fstest.MapFS {
	t.Helper()
	fixture := func(engine string) *fstest.MapFile {
		data, err := os.ReadFile(filepath.Join("dialect", "dialecttest", "testdata", "every_object."+engine+".sql"))
		require.NoError(t, err)
		return &fstest.MapFile{Data: data}
	}
	return fstest.MapFS{
		"tenant/v1.0.0/001_every_object.up.sql":          fixture("sqlite"),
		"tenant/v1.0.0/001_every_object.postgres.up.sql": fixture("postgres"),
		"tenant/v1.0.0/001_every_object.mysql.up.sql":    fixture("mysql"),
		"tenant/v1.1.0/002_notes.up.sql":                 file("CREATE TABLE notes (id INT);"),
		"tenant/v1.1.0/002_notes.down.sql":               file("DROP TABLE notes;"),
	}
}

// A breaking rollout with snapshots required, over tenants that hold
// triggers, routines, views, partitions and the rest, takes a rollback
// point of every tenant and completes.
func TestBreakingRolloutOverRealSchemas(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := witnessFleet(t, e, everyObjectSource(t), `releases:
  v1.0.0: {}
  v1.1.0: {breaking_changes: true, rollback_point: v1.0.0}
rollout:
  snapshots: required
`, "real%d", 2)
		m := b.fleet.Rollouts(rollout.Options{})
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		out, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		items, err := b.control().Items(b.ctx, r.ID)
		require.NoError(t, err)
		for _, it := range items {
			require.Equal(t, control.ItemDone, it.State, "%s: %s", it.Tenant, it.Error)
		}
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
		for _, code := range []string{"real1", "real2"} {
			sns, err := b.fleet.Snapshots(b.ctx, code)
			require.NoError(t, err)
			require.Len(t, sns, 1, "%s has its rollback point", code)
			require.Equal(t, "1.0.0", sns[0].Version)
			b.agree(control.TenantRef(code), "1.1.0")
		}
	})
}

// With a schema per tenant, a tenant that uses a type of another schema
// cannot be snapshotted (the copy is renamed in a scratch database that
// lacks the type): herd plan warns beforehand, naming what it uses.
func TestPlanWarnsOfWhatASnapshotCannotCopy(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if !e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			shared := herdtest.Name(t, "shared_")
			b := setup(t, e, fstest.MapFS{
				"tenant/v1.0.0/001_moods.up.sql":   file("CREATE TABLE moods (m " + shared + ".mood);"),
				"tenant/v1.0.0/001_moods.down.sql": file("DROP TABLE moods;"),
			})
			b.addTenant("alpha")
			db, _, err := b.fleet.OpenTenant(b.ctx, "alpha")
			require.NoError(t, err)
			_, err = db.DB.ExecContext(b.ctx, "CREATE SCHEMA "+shared+"; CREATE TYPE "+shared+".mood AS ENUM ('ok')")
			require.NoError(t, err)
			t.Cleanup(func() {
				db.DB.ExecContext(b.ctx, "DROP SCHEMA "+shared+" CASCADE") //nolint:errcheck // best effort
				db.Close()
			})
			out := cliAt(t, b.scratch.ConfigPath)(0, "plan", "--tenant", "alpha")
			require.NotContains(t, out, "warning:", "nothing uses another schema yet")
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))

			out = cliAt(t, b.scratch.ConfigPath)(0, "plan", "--tenant", "alpha")
			require.Contains(t, out, "warning: a snapshot of tenant alpha cannot take along what it uses from outside its schema: ")
			require.Contains(t, out, "uses type "+shared+".mood")
			_, err = b.fleet.TakeSnapshot(b.ctx, "alpha", 0)
			require.Error(t, err, "the warning is right: the snapshot fails")
		})
	}
}
