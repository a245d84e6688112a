package herd_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
)

// Promotion between environments through the CLI: production comes after
// staging, so a release is refused in production until it has completed
// in staging, and a pre-release is refused where experiments are not
// allowed. Each environment has its own control database on the engine.
func TestEnvironmentPromotion(t *testing.T) {
	t.Parallel()
	migrations := fstest.MapFS{
		"system/v1.0.0/001_settings.up.sql":     {Data: []byte("CREATE TABLE settings (k VARCHAR(40) PRIMARY KEY, v VARCHAR(200));\n")},
		"system/v1.0.0/001_settings.down.sql":   {Data: []byte("DROP TABLE settings;\n")},
		"tenant/v1.0.0/001_students.up.sql":     {Data: []byte("CREATE TABLE students (id INTEGER PRIMARY KEY, name VARCHAR(100));\n")},
		"tenant/v1.0.0/001_students.down.sql":   {Data: []byte("DROP TABLE students;\n")},
		"tenant/v1.1.0-rc.1/002_notes.up.sql":   {Data: []byte("CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(200));\n")},
		"tenant/v1.1.0-rc.1/002_notes.down.sql": {Data: []byte("DROP TABLE notes;\n")},
	}
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue // one control database per environment is what is under test
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			b := setup(t, e, migrations)
			staging := b.scratch.NewControl(t, "staging")
			b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`environments:
  staging:
    control: %q
    allow_experimental: true
  production:
    control: %q
    after: staging
`, staging, b.scratch.ControlDSN)))
			run := cliAt(t, b.scratch.ConfigPath)
			run(0, "--env", "production", "tenant", "add", "p1")
			run(0, "--env", "production", "tenant", "add", "p2")

			before := b.snapshot()
			out := run(2, "--env", "production", "rollout", "start", "--to", "v1.0.0")
			require.Contains(t, out, "release v1.0.0 has not completed in staging, which production comes after: staging has no")
			require.Equal(t, before, b.snapshot(), "a refused rollout changes nothing")

			t.Cleanup(func() { b.scratch.DropTenants(t, []string{"s1", "s2"}) })
			run(0, "--env", "staging", "tenant", "add", "s1")
			run(0, "--env", "staging", "tenant", "add", "s2")
			run(0, "--env", "staging", "migrate", "--tenant", "s1", "--to", "v1.0.0")
			before = b.snapshot()
			out = run(2, "--env", "production", "migrate", "--all", "--to", "v1.0.0")
			require.Contains(t, out, "release v1.0.0 has not completed in staging, which production comes after: "+
				"its system database is at none and 1 of its 2 tenants are below v1.0.0; "+
				"complete it there first (herd --env staging rollout start --to v1.0.0)")
			require.Equal(t, before, b.snapshot(), "a refused migrate changes nothing")

			run(0, "--env", "staging", "rollout", "start", "--to", "v1.0.0")
			run(0, "--env", "production", "rollout", "start", "--to", "v1.0.0")
			for _, row := range statusJSON(t, b.scratch.ConfigPath) {
				require.Equal(t, "1.0.0", row.CurrentVersion, "production %s", row.Identifier)
			}

			out = run(2, "--env", "production", "rollout", "start", "--to", "v1.1.0-rc.1")
			require.Contains(t, out, "release v1.1.0-rc.1 is a pre-release and environment production does not allow experimental versions")
			run(0, "--env", "staging", "rollout", "start", "--to", "v1.1.0-rc.1")
			out = run(2, "--env", "production", "migrate", "--tenant", "p1", "--to", "v1.1.0-rc.1")
			require.Contains(t, out, "is a pre-release and environment production does not allow experimental versions")

			out = run(2, "--env", "qa", "status")
			require.Contains(t, out, "--env qa: "+b.scratch.ConfigPath+" declares no such environment (declared: staging, production)")
		})
	}
}

// Two environments over the same servers and naming pattern share tenant
// databases; each tenant database is fenced by the fleet that owns it, so
// that one environment never writes to another's.
func TestEnvironmentsCannotTouchEachOthersTenants(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue // one control database per environment is what is under test
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			b := setup(t, e, witnessSource())
			staging := b.scratch.NewControl(t, "staging")
			b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`environments:
  staging:
    control: %q
  production:
    control: %q
`, staging, b.scratch.ControlDSN)))
			run := cliAt(t, b.scratch.ConfigPath)
			t.Cleanup(func() { b.scratch.DropTenants(t, []string{"t1"}) })
			run(0, "--env", "production", "tenant", "add", "t1")
			run(0, "--env", "production", "migrate", "--tenant", "t1", "--to", "v1.0.0")

			out := run(2, "--env", "staging", "tenant", "add", "t1")
			require.Contains(t, out, "belongs to environment production (fleet ")
			require.Contains(t, out, "tenant add CODE --take-over")
			require.NotContains(t, run(0, "--env", "staging", "tenant", "list"), "t1", "the refused add registered nothing")

			// Staging takes the database over, audited; production may no
			// longer write to it, and nothing it tries changes the database.
			out = run(0, "--env", "staging", "tenant", "add", "t1", "--take-over")
			require.Contains(t, out, "added tenant t1")
			b.reopen()
			require.Equal(t, 0, b.count("t1", "witness"))
			for _, args := range [][]string{
				{"migrate", "--tenant", "t1", "--to", "v1.1.0"},
				{"migrate", "--all", "--to", "v1.1.0"},
				{"tenant", "remove", "t1", "--drop-database"},
			} {
				out := run(2, append([]string{"--env", "production"}, args...)...)
				require.Contains(t, out, "belongs to environment staging (fleet ", "%v", args)
			}
			require.Equal(t, 0, b.count("t1", "witness"), "production's refused migrate wrote nothing")
			run(0, "--env", "staging", "migrate", "--tenant", "t1", "--to", "v1.1.0")
			require.Equal(t, 1, b.count("t1", "witness"))
			require.Contains(t, run(0, "--env", "staging", "status"), "t1")

			// A database with a ledger and no owner (migrated before herd
			// recorded owners) is claimed by the first fleet that writes.
			db, _, err := b.fleet.OpenTenant(b.ctx, "t1")
			require.NoError(t, err)
			_, err = db.DB.ExecContext(b.ctx, "DROP TABLE herd_schema_owner")
			require.NoError(t, err)
			require.NoError(t, db.Close())
			run(0, "--env", "production", "migrate", "--tenant", "t1", "--to", "v1.0.0")
			require.Equal(t, 0, b.count("t1", "witness"))
			out = run(2, "--env", "staging", "migrate", "--tenant", "t1", "--to", "v1.1.0")
			require.Contains(t, out, "belongs to environment production (fleet ")
		})
	}
}

// Environments may keep their tenants apart: servers and tenant_database
// set per environment override the top level's.
func TestEnvironmentsWithTheirOwnTenantDatabases(t *testing.T) {
	t.Parallel()
	e := herdtest.Engines()[0]
	b := setup(t, e, witnessSource())
	staging := b.scratch.NewControl(t, "staging")
	b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`environments:
  staging:
    control: %q
    tenant_database: staging_{code}
  production:
    control: %q
`, staging, b.scratch.ControlDSN)))
	run := cliAt(t, b.scratch.ConfigPath)
	run(0, "--env", "production", "tenant", "add", "t1")
	out := run(0, "--env", "staging", "tenant", "add", "t1")
	require.Contains(t, out, "database staging_t1")
	run(0, "--env", "staging", "migrate", "--tenant", "t1", "--to", "v1.1.0")
	require.NotContains(t, run(0, "lint"), "name the same tenant databases")
}

// The promotion gate is proven only by tenants that reached the release:
// not by an environment without tenants, nor by a rollout whose tenants
// failed and were rolled back.
func TestPromotionNeedsTenantsThatReachedTheRelease(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		if e.SchemaPerTenant() {
			t.Skip("one control database per environment is what is under test")
		}
		src := witnessSource()
		src["tenant/v1.1.0/003_fails.up.sql"] = file("INSERT INTO no_such_table (n) VALUES (1);")
		src["tenant/v1.1.0/003_fails.down.sql"] = file("SELECT 1;")
		b := setup(t, e, src)
		staging := b.scratch.NewControl(t, "staging")
		b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`rollout:
  failure_budget: 100%%
environments:
  staging:
    control: %q
  production:
    control: %q
    after: staging
`, staging, b.scratch.ControlDSN)))
		run := cliAt(t, b.scratch.ConfigPath)

		// Staging has no tenants: it has proven nothing.
		run(0, "--env", "staging", "status")
		run(0, "--env", "production", "tenant", "add", "p1")
		out := run(2, "--env", "production", "migrate", "--tenant", "p1", "--to", "v1.0.0")
		require.Contains(t, out, "it has no tenants")

		t.Cleanup(func() { b.scratch.DropTenants(t, []string{"s1", "s2"}) })
		run(0, "--env", "staging", "tenant", "add", "s1")
		run(0, "--env", "staging", "tenant", "add", "s2")
		run(0, "--env", "staging", "migrate", "--all", "--to", "v1.0.0")
		run(0, "--env", "production", "migrate", "--tenant", "p1", "--to", "v1.0.0")

		// Every staging tenant fails v1.1.0 and is rolled back.
		out = run(1, "--env", "staging", "rollout", "start", "--to", "v1.1.0")
		require.Contains(t, out, "rollout.completed_with_failures")
		before := b.snapshot()
		out = run(2, "--env", "production", "rollout", "start", "--to", "v1.1.0")
		require.Contains(t, out, "is completed_with_failures (2 of 2 tenants failed or were rolled back)")
		require.Equal(t, before, b.snapshot(), "a refused rollout changes nothing")
	})
}
