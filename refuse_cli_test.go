package herd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// A selector that matches no tenant, names an unknown server or an empty
// tier or tag, and a --concurrency out of range, are refused with exit 2
// and change nothing: no rollout, no audit row, no database migrated.
// --allow-empty lets an empty selection through.
func TestSelectorMistakesRefused(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		for _, spec := range []herd.TenantSpec{{Code: "alpha", Tier: "premium"}, {Code: "beta"}} {
			_, err := b.fleet.AddTenant(b.ctx, spec)
			require.NoError(t, err)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		run := cliAt(t, b.scratch.ConfigPath)

		tests := []struct {
			name string
			args []string
			want string
		}{
			{"rollout to a misspelt tier", []string{"rollout", "start", "--to", "v1.1.0", "--tenants", "tier=premum"},
				`selector "tier=premum" matched no tenant (--allow-empty if you mean it)`},
			{"migrate a misspelt tier", []string{"migrate", "--tenants", "tier=premum", "--to", "v1.1.0"},
				`selector "tier=premum" matched no tenant`},
			{"a tag no tenant has", []string{"rollout", "start", "--to", "v1.1.0", "--tenants", "tag:region=mars"}, "matched no tenant"},
			{"empty tier", []string{"rollout", "start", "--to", "v1.1.0", "--tenants", "tier="}, `selector term "tier=": name a tier`},
			{"empty tag", []string{"migrate", "--tenants", "tag:", "--to", "v1.1.0"}, `selector term "tag:": name a tag`},
			{"unknown server", []string{"rollout", "start", "--to", "v1.1.0", "--tenants", "server=nowhere"},
				`herd.yaml declares no server "nowhere" (servers: main)`},
			{"dry run of a misspelt tier", []string{"rollout", "start", "--to", "v1.1.0", "--tenants", "tier=premum", "--dry-run"}, "matched no tenant"},
			{"concurrency 0", []string{"migrate", "--all", "--to", "v1.1.0", "--concurrency", "0"}, "--concurrency 0: want 1 to 1024"},
			{"concurrency negative", []string{"migrate", "--all", "--to", "v1.1.0", "--concurrency", "-3"}, "--concurrency -3: want 1 to 1024"},
			{"concurrency absurd", []string{"migrate", "--all", "--to", "v1.1.0", "--concurrency", "100000"}, "--concurrency 100000: want 1 to 1024"},
			{"allow-empty without a selector", []string{"migrate", "--all", "--to", "v1.1.0", "--allow-empty"}, "--allow-empty goes with --tenants"},
		}
		for _, tt := range tests {
			before := b.snapshot()
			out := run(2, tt.args...)
			require.Contains(t, out, tt.want, tt.name)
			require.Equal(t, before, b.snapshot(), "%s: the command changed the fleet", tt.name)
			rollouts, err := b.control().Rollouts(b.ctx)
			require.NoError(t, err)
			require.Empty(t, rollouts, tt.name)
			require.Empty(t, b.audit("rollout.start"), tt.name)
		}

		run(0, "rollout", "start", "--to", "v1.1.0", "--tenants", "tier=premum", "--allow-empty")
		rollouts, err := b.control().Rollouts(b.ctx)
		require.NoError(t, err)
		require.Len(t, rollouts, 1)
		require.Equal(t, control.RolloutCompleted, rollouts[0].Status)

		run(0, "migrate", "--tenants", "tier=premium", "--to", "v1.1.0", "--concurrency", "1024")
		b.agree(control.TenantRef("alpha"), "1.1.0")
		b.agree(control.TenantRef("beta"), "1.0.0")
	})
}

// A webhook secret's environment variable is needed only by the commands
// that send webhooks: the others run without it, and a rollout refuses to
// start (exit 2, nothing changed) naming the variable and its line.
func TestWebhookSecretOnlyForRollouts(t *testing.T) {
	t.Parallel()
	const unset = "HERD_TEST_UNSET_WEBHOOK_SECRET"
	b := setup(t, herdtest.Engines()[0], schoolMigrations(t))
	b.scratch.WriteConfig(t, b.scratch.Config("webhooks:\n  - url: https://hooks.example.com/herd\n    secret: ${"+unset+"}\n"))
	b.addTenant("alpha")
	run := cliAt(t, b.scratch.ConfigPath)

	run(0, "status")
	run(0, "tenant", "list")
	run(0, "migrate", "--tenant", "alpha", "--to", "v1.0.0")
	run(0, "rollout", "start", "--to", "v1.1.0", "--dry-run")
	before := b.snapshot()
	out := run(2, "rollout", "start", "--to", "v1.1.0")
	require.Contains(t, out, "webhooks[0].secret: environment variable "+unset+" is not set (commands that send webhooks need it)")
	require.Equal(t, before, b.snapshot())
	rollouts, err := b.control().Rollouts(b.ctx)
	require.NoError(t, err)
	require.Empty(t, rollouts)
}
