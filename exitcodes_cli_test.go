package herd_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// Every command's failure paths against the table of exit codes: 2 for bad
// input or usage, with nothing changed; 3 for a rollout that waits; 1 for
// a rollout that was aborted. Each error is one line, prefixed once.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0], schoolMigrations(t))
	for _, spec := range []herd.TenantSpec{{Code: "alpha", Tier: "premium"}, {Code: "beta"}} {
		_, err := b.fleet.AddTenant(b.ctx, spec)
		require.NoError(t, err)
	}
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"migrat", "--all"}, 2, `unknown command "migrat" for "herd"; did you mean migrate?`},
		{"unknown subcommand", []string{"rollout", "begin"}, 2, `rollout: unknown command "begin"`},
		{"new: bad kind", []string{"new", "shared", "v1.0.0", "x"}, 2, `new: first argument must be system or tenant, not "shared"`},
		{"tenant add: exists", []string{"tenant", "add", "alpha"}, 2, `tenant "alpha": tenant already exists`},
		{"tenant show: unknown", []string{"tenant", "show", "ghost"}, 2, `tenant "ghost"`},
		{"tenant remove: unknown", []string{"tenant", "remove", "ghost"}, 2, `tenant "ghost"`},
		{"tenant set: unknown", []string{"tenant", "set", "ghost", "--tier", "gold"}, 2, `tenant "ghost"`},
		{"plan: unknown version", []string{"plan", "--tenant", "alpha", "--to", "v9.9.9"}, 2, "v9.9.9 does not exist"},
		{"migrate: no database named", []string{"migrate"}, 2, "say which database"},
		{"migrate: unknown tenant", []string{"migrate", "--tenant", "ghost"}, 2, `tenant "ghost": tenant not found`},
		{"migrate: empty selection", []string{"migrate", "--tenants", "tier=gold"}, 2, "matched no tenant"},
		{"migrate: concurrency", []string{"migrate", "--all", "--concurrency", "0"}, 2, "want 1 to 1024"},
		{"repair: unknown action", []string{"repair", "--tenant", "alpha", "--action", "undo"}, 2, `--action "undo"`},
		{"repair: unknown tenant", []string{"repair", "--tenant", "ghost"}, 2, `tenant "ghost"`},
		{"rollback: no selector", []string{"rollback", "--to", "v1.0.0"}, 2, "rollback needs --to VERSION and one of"},
		{"rollback: unknown tenant", []string{"rollback", "--to", "v1.0.0", "--tenant", "ghost"}, 2, `tenant "ghost"`},
		{"rollout start: no release", []string{"rollout", "start"}, 2, "rollout start: --to RELEASE is required"},
		{"rollout start: unknown release", []string{"rollout", "start", "--to", "v9.9.9"}, 2, "v9.9.9"},
		{"rollout start: bad time", []string{"rollout", "start", "--to", "v1.1.0", "--at", "tomorrow"}, 2, `--at "tomorrow"`},
		{"rollout status: unknown", []string{"rollout", "status", "99"}, 2, "99"},
		{"rollout work: unknown", []string{"rollout", "work", "99"}, 2, "99"},
		{"rollout pause: unknown", []string{"rollout", "pause", "99"}, 2, "99"},
		{"rollout abort: bad id", []string{"rollout", "abort", "x"}, 2, `rollout id "x"`},
		{"rollout retry: no --failed", []string{"rollout", "retry"}, 2, "rollout retry: say --failed"},
		{"flags eval: no tenant", []string{"flags", "eval", "x"}, 2, "flags eval needs --tenant CODE"},
		{"status: extra argument", []string{"status", "now"}, 2, "status: unknown command"},
	}
	for _, tt := range tests {
		before := b.snapshot()
		code, out := runCLI(t, append([]string{"--config", b.scratch.ConfigPath}, tt.args...)...)
		require.Equal(t, tt.code, code, "%s: %s", tt.name, out)
		require.Contains(t, out, tt.want, tt.name)
		require.Equal(t, 1, strings.Count(out, "herd: "), "%s: one error line: %s", tt.name, out)
		require.NotContains(t, out, "herd: herd", tt.name)
		require.Equal(t, before, b.snapshot(), "%s changed the fleet", tt.name)
	}

	run := cliAt(t, b.scratch.ConfigPath)
	var dry struct {
		DryRun  bool           `json:"dry_run"`
		Counts  map[string]int `json:"counts"`
		Tenants []control.Item `json:"tenants"`
	}
	require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "start", "--to", "v1.1.0", "--dry-run", "--json")), &dry))
	require.True(t, dry.DryRun)
	require.Equal(t, map[string]int{"pending": 2}, dry.Counts)
	require.Equal(t, "alpha", dry.Tenants[0].Tenant)

	done := background(t, b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0", "--at", "2999-01-01T00:00:00Z")
	r := b.newestRollout(control.RolloutScheduled)
	run(0, "rollout", "pause")
	require.Equal(t, 3, within(t, done, 10*time.Second).code)
	require.Contains(t, run(3, "rollout", "work"), "is paused")
	run(0, "rollout", "abort")
	require.Contains(t, run(1, "rollout", "work", fmt.Sprint(r.ID)), "was aborted")
}

// A fleet-wide migration that migrated the system database and some
// tenants, then refused one (its ledger records a checksum the source
// does not have, as after an edit), exits 1, not 2 ("nothing changed"),
// and names the refused tenant with its error. A rollout to that tenant
// reports the refusal once: a refused plan ran nothing, so no automatic
// rollback is tried (which would be refused again).
func TestPartialMigrateExits1(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		for _, code := range []string{"alpha", "beta", "gamma"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		db, _, err := b.fleet.OpenTenant(b.ctx, "beta")
		require.NoError(t, err)
		_, err = db.DB.ExecContext(b.ctx, "UPDATE herd_schema_migrations SET checksum = 'edited' WHERE migration_id = 'v1.0.0/001_create_students'")
		require.NoError(t, err)
		require.NoError(t, db.Close())
		run := cliAt(t, b.scratch.ConfigPath)

		out := run(1, "migrate", "--all", "--to", "v1.1.0")
		require.Contains(t, out, "herd: 1 of 3 tenants failed or were refused:\n")
		require.Contains(t, out, "\n"+`migrate tenant "beta": applied migration v1.0.0/001_create_students was changed: ledger checksum edited`)
		b.agree(control.SystemRef, "1.1.0")
		b.agree(control.TenantRef("alpha"), "1.1.0")
		b.agree(control.TenantRef("gamma"), "1.1.0")

		out = run(1, "rollout", "start", "--to", "v1.1.0", "--tenants", "beta")
		require.Equal(t, 1, strings.Count(out, "was changed"), out)
		require.NotContains(t, out, "automatic rollback")
		items, err := b.control().Items(b.ctx, 1)
		require.NoError(t, err)
		require.Equal(t, control.ItemFailed, items[0].State)
		require.Equal(t, 1, strings.Count(items[0].Error, "was changed"), items[0].Error)
	})
}
