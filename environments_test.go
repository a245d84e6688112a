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
