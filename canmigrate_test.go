package herd_test

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// The brief's canMigrate through the CLI on every engine: a tenant whose
// enabled features are not all in the target release is refused by plan
// and migrate, changing nothing, and skipped by a rollout with the reason
// (not counted as a failure); once its features change it moves.
func TestCanMigrate(t *testing.T) {
	t.Parallel()
	migrations := fstest.MapFS{
		"tenant/v1.0.0/001_students.up.sql":   {Data: []byte("CREATE TABLE students (id INTEGER PRIMARY KEY, name VARCHAR(100));\n")},
		"tenant/v1.0.0/001_students.down.sql": {Data: []byte("DROP TABLE students;\n")},
		"tenant/v1.1.0/002_fees.up.sql":       {Data: []byte("CREATE TABLE fees (id INTEGER PRIMARY KEY, amount INTEGER);\n")},
		"tenant/v1.1.0/002_fees.down.sql":     {Data: []byte("DROP TABLE fees;\n")},
	}
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, migrations)
		b.scratch.WriteConfig(t, b.scratch.Config(`releases:
  v1.0.0: {features: [attendance, legacy_fees]}
  v1.1.0: {features: [fees], removes: [legacy_fees]}
flags:
  new_ui: {required_version: 1.0.0}
`))
		b.reopen()
		run := cliAt(t, b.scratch.ConfigPath)
		out := run(2, "tenant", "add", "typo", "--features", "atendance")
		require.Contains(t, out, `tenant "typo": feature "atendance" is not declared by any release (declared: attendance, fees, legacy_fees)`)
		run(0, "tenant", "add", "modern", "--features", "attendance")
		run(0, "tenant", "add", "old", "--features", "attendance,legacy_fees")
		run(0, "migrate", "--all", "--to", "v1.0.0")

		before := b.snapshot()
		out = run(2, "plan", "--tenant", "old", "--to", "v1.1.0")
		require.Contains(t, out, "release v1.1.0 lacks features the tenant has enabled: legacy_fees")
		out = run(2, "migrate", "--tenant", "old", "--to", "v1.1.0")
		require.Contains(t, out, "release v1.1.0 lacks features the tenant has enabled: legacy_fees")
		require.Equal(t, before, b.snapshot(), "a refused migration changes nothing")

		run(0, "rollout", "start", "--to", "v1.1.0")
		var rep struct {
			Counts  map[string]int `json:"counts"`
			Tenants []struct {
				Tenant string `json:"tenant"`
				State  string `json:"state"`
				Error  string `json:"error"`
			} `json:"tenants"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
		require.Equal(t, map[string]int{"done": 1, "skipped": 1}, rep.Counts)
		for _, it := range rep.Tenants {
			if it.Tenant == "old" {
				require.Equal(t, "skipped", it.State)
				require.Equal(t, "canMigrate: release v1.1.0 lacks features the tenant has enabled: legacy_fees", it.Error)
			}
		}
		b.agree(control.TenantRef("old"), "1.0.0")
		b.agree(control.TenantRef("modern"), "1.1.0")

		run(2, "tenant", "set", "old", "--features", "attendance,nope")
		out = run(0, "tenant", "set", "old", "--features", "attendance,fees", "--tier", "premium")
		require.Contains(t, out, "tenant old: tier premium, features [attendance, fees]")
		run(0, "rollout", "start", "--to", "v1.1.0")
		b.agree(control.TenantRef("old"), "1.1.0")
		require.Contains(t, b.audit("tenant.set")[0].Detail, "features [attendance, fees]")

		// Removing a tenant removes its flag overrides with it.
		run(0, "flags", "set", "new_ui", "--tenant", "modern", "on")
		run(0, "tenant", "remove", "modern", "--drop-database")
		overrides, err := b.control().Overrides(b.ctx)
		require.NoError(t, err)
		require.NotContains(t, overrides["new_ui"], "modern")
	})
}
