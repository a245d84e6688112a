package herd_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// driftSource is a tenant path with every kind of object herd drift
// compares: tables, columns, keys, an index, a foreign key, a check and a
// view.
func driftSource() fstest.MapFS {
	return fstest.MapFS{
		"tenant/v1.0.0/001_houses.up.sql": file(`CREATE TABLE houses (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE students (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    house_id INTEGER,
    CONSTRAINT students_house FOREIGN KEY (house_id) REFERENCES houses (id),
    CONSTRAINT students_name_set CHECK (name <> '')
);
CREATE INDEX students_by_name ON students (name);
CREATE VIEW rolls AS SELECT id, name FROM students;`),
		"tenant/v1.0.0/001_houses.down.sql":   file("DROP VIEW rolls;\nDROP TABLE students;\nDROP TABLE houses;"),
		"tenant/v1.1.0/002_email.up.sql":      file("ALTER TABLE students ADD COLUMN email VARCHAR(200);"),
		"tenant/v1.1.0/002_email.down.sql":    file("ALTER TABLE students DROP COLUMN email;"),
		"tenant/v1.2.0/003_no_email.up.sql":   file("-- Email moves to the system database.\nALTER TABLE students DROP COLUMN email;"),
		"tenant/v1.2.0/003_no_email.down.sql": file("ALTER TABLE students ADD COLUMN email VARCHAR(200);"),
		"tenant/v1.3.0/004_dorms.up.sql":      file("ALTER TABLE houses RENAME TO dorms;"),
		"tenant/v1.3.0/004_dorms.down.sql":    file("ALTER TABLE dorms RENAME TO houses;"),
	}
}

// driftYAML allows custom_ tables for every tenant and two more objects
// for the tenant custom.
const driftYAML = `customisations:
  all: [{table: "custom_*"}]
  tenants:
    custom: [{column: students.house_colour}, {index: "students.x_*"}]
`

// dropIndex drops the index students_by_name, per engine.
var dropIndex = map[string]string{
	"sqlite":   "DROP INDEX students_by_name;",
	"postgres": "DROP INDEX students_by_name;",
	"mysql":    "DROP INDEX students_by_name ON students;",
}

// herd drift finds no difference right after a migration, tells agreed
// customisations from drift (extra table and column, missing index and
// view), records each tenant's result where status and tenant show read
// it, leaves tenants never migrated alone, and exits 1 when a tenant
// drifted.
func TestDrift(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		b.scratch.WriteConfig(t, b.scratch.Config(driftYAML))
		b.reopen()
		for _, code := range []string{"clean", "custom", "drifted", "fresh"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "clean,custom,drifted"}, "1.1.0", 3))

		// Scratch databases a killed run left: the old one goes with the
		// next scratch database herd makes, the recent one may be in use.
		_, srv := b.tenantServer()
		left := "herd_rehearse_20200101000000_" + herdtest.Name(t, "")
		recent := "herd_rehearse_" + time.Now().UTC().Format("20060102150405") + "_" + herdtest.Name(t, "")
		for _, name := range []string{left, recent} {
			require.NoError(t, srv.Create(b.ctx, name))
		}
		t.Cleanup(func() { require.NoError(t, srv.Drop(context.Background(), recent)) })

		d, err := b.fleet.Drift(b.ctx, "clean")
		require.NoError(t, err)
		assert.Equal(t, herd.DriftNone, d.State, "no difference right after migrating: %v", d.Differences)
		assert.False(t, b.hasDatabase(left), "an old scratch database is dropped")
		assert.True(t, b.hasDatabase(recent), "a recent one is left alone")
		assert.Empty(t, d.Differences)
		assert.Equal(t, "1.1.0", d.Version)

		_, err = b.fleet.SeedTenant(b.ctx, "custom", `CREATE TABLE custom_awards (id INTEGER PRIMARY KEY, title VARCHAR(80));
ALTER TABLE students ADD COLUMN house_colour VARCHAR(20);
CREATE INDEX x_by_colour ON students (house_colour);`)
		require.NoError(t, err)
		_, err = b.fleet.SeedTenant(b.ctx, "drifted", `CREATE TABLE stray (id INTEGER PRIMARY KEY);
ALTER TABLE students ADD COLUMN nickname VARCHAR(20);
DROP VIEW rolls;
`+dropIndex[e.Name])
		require.NoError(t, err)

		d, err = b.fleet.Drift(b.ctx, "custom")
		require.NoError(t, err)
		assert.Equal(t, herd.DriftCustomised, d.State)
		assert.Equal(t, map[string]string{
			"custom_awards":         "all: table custom_*",
			"students.house_colour": "tenant custom: column students.house_colour",
			"students.x_by_colour":  "tenant custom: index students.x_*",
		}, customisations(d))

		checked, unmigrated, err := b.fleet.DriftTenants(b.ctx, herd.Selection{}, 2)
		require.NoError(t, err)
		require.Len(t, checked, 3)
		assert.Equal(t, []string{"fresh"}, unmigrated, "a tenant never migrated is not compared")
		drifted := checked[2]
		require.Equal(t, "drifted", drifted.Tenant)
		assert.Equal(t, herd.DriftDrifted, drifted.State)
		got := map[string]string{}
		for _, diff := range drifted.Differences {
			require.True(t, diff.Drift(), "%s", diff)
			got[string(diff.Change)+" "+string(diff.Object)+" "+diff.Name] = diff.Expected + "|" + diff.Found
		}
		require.Len(t, got, 4, "%v", got)
		assert.Contains(t, got, "extra table stray")
		assert.Contains(t, got, "extra column students.nickname")
		assert.Contains(t, got, "missing index students.students_by_name")
		assert.Contains(t, got, "missing view rolls")
		assert.NotEmpty(t, got["missing view rolls"], "the expected definition is given")

		rows, err := b.fleet.Status(b.ctx)
		require.NoError(t, err)
		states := map[string]herd.DriftState{}
		for _, r := range rows {
			if r.Drift != nil {
				states[r.Identifier] = r.Drift.State
				assert.Nil(t, r.Drift.Differences, "status carries the summary only")
			}
		}
		assert.Equal(t, map[string]herd.DriftState{"clean": herd.DriftNone, "custom": herd.DriftCustomised, "drifted": herd.DriftDrifted}, states)
		detail, err := b.fleet.TenantDetail(b.ctx, "drifted")
		require.NoError(t, err)
		require.NotNil(t, detail.Drift)
		assert.Len(t, detail.Drift.Differences, 4, "tenant show lists the differences")

		_, err = b.fleet.Drift(b.ctx, "fresh")
		require.True(t, herd.IsInputError(err), "a tenant never migrated: %v", err)

		run := cliAt(t, b.scratch.ConfigPath)
		out := run(1, "drift", "--all")
		assert.Contains(t, out, "1 of 3 tenants drifted: drifted")
		assert.Contains(t, out, "drift          missing view rolls")
		assert.Contains(t, out, "not compared (never migrated): fresh")
		out = run(0, "drift", "--tenant", "custom", "--json")
		var one []herd.TenantDrift
		require.NoError(t, json.Unmarshal([]byte(out), &one), out)
		require.Len(t, one, 1)
		assert.Equal(t, herd.DriftCustomised, one[0].State)
		out = run(0, "tenant", "show", "custom")
		assert.Contains(t, out, "customisation  extra table custom_awards")
		run(2, "drift", "--tenant", "nobody")
	})
}

// customisations maps each difference of d to the rule allowing it.
func customisations(d herd.TenantDrift) map[string]string {
	out := map[string]string{}
	for _, diff := range d.Differences {
		out[diff.Name] = diff.Customisation
	}
	return out
}

// lintableDriftSource is driftSource up to v1.1.0: the later versions
// drop and rename, which lint wants declared.
func lintableDriftSource() fstest.MapFS {
	src := driftSource()
	for name := range src {
		if !strings.HasPrefix(name, "tenant/v1.0.0/") && !strings.HasPrefix(name, "tenant/v1.1.0/") {
			delete(src, name)
		}
	}
	return src
}

// herd lint --rehearse reports a customisation rule on what is on a
// table whose table the reference schema lacks, at its line of
// herd.yaml; one that names a reference table passes.
func TestLintReportsRulesOfNoTable(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, lintableDriftSource())
		b.scratch.WriteConfig(t, b.scratch.Config("customisations:\n  all: [{column: students.x_*}]\n  tenants:\n    st_marys: [{column: studnets.house_colour}]\n"))
		out := cliAt(t, b.scratch.ConfigPath)(2, "lint", "--rehearse")
		assert.Regexp(t, `herd\.yaml:\d+: customisations \(tenant st_marys\): column rule "studnets\.house_colour" names no table`, out)
		assert.NotContains(t, out, "students.x_*")
	})
}

// herd lint --registry reports each tenant of customisations.tenants that
// the control database does not register, at its line of herd.yaml.
func TestLintRegistryReportsUnregisteredTenants(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, lintableDriftSource())
		b.addTenant("st_marys")
		b.scratch.WriteConfig(t, b.scratch.Config(
			"customisations:\n  tenants:\n    st_marys: [{table: custom_*}]\n    st_marks: [{table: custom_*}]\n"))
		run := cliAt(t, b.scratch.ConfigPath)
		out := run(2, "lint", "--registry")
		assert.Regexp(t, `herd\.yaml:\d+: customisations\.tenants\.st_marks: no tenant st_marks is registered, so its rules allow nothing`, out)
		assert.NotContains(t, out, "tenants.st_marys")
		b.addTenant("st_marks")
		assert.Contains(t, run(0, "lint", "--registry"), "registry: the 2 tenants of customisations.tenants are registered")
	})
}
