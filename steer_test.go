package herd_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// An operator steers a rollout: retry puts its failed tenant back, and
// the emergency rollback aborts it and takes every tenant it migrated
// back to the version it had before, each step audited under the
// operator's name; what the rollout's state forbids is refused as bad
// input and changes nothing.
func TestSteerRollout(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  failure_budget: 1\n"))
		b.reopen()
		for _, code := range []string{"alpha", "beta", "gamma", "broken"} {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 4))
		b.duplicateID("broken")

		m := b.fleet.Rollouts(herd.RolloutOptions{})
		r, _, err := m.Start(b.ctx, herd.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		_, err = m.Work(b.ctx, r.ID)
		require.NoError(t, err)

		out, err := b.fleet.SteerRollout(b.ctx, "ana", r.ID, herd.RetryRollout)
		require.NoError(t, err)
		require.Equal(t, int64(1), out.Retried)
		require.Equal(t, herd.RolloutRunning, out.Rollout.Status)
		require.Equal(t, []auditEntry{{Actor: "ana", Action: "rollout.retry", Subject: fmt.Sprint(r.ID), Detail: "1 failed tenants pending again"}}, b.audit("rollout.retry"))

		out, err = b.fleet.SteerRollout(b.ctx, "ana", r.ID, herd.RollbackRollout)
		require.NoError(t, err)
		require.Equal(t, herd.RolloutAborted, out.Rollout.Status, "the rollout stops before its tenants go back")
		var back []string
		for _, rb := range out.RolledBack {
			require.NoError(t, rb.Err, rb.Tenant)
			require.Equal(t, herd.DownMigrations, rb.How, rb.Tenant)
			back = append(back, rb.Tenant)
		}
		require.ElementsMatch(t, []string{"alpha", "beta", "gamma"}, back, "the pending tenant was not migrated by it")
		for _, code := range []string{"alpha", "beta", "gamma"} {
			b.agree(control.TenantRef(code), "1.0.0")
		}
		b.agreeRolledBack(control.TenantRef("broken"), "1.0.0") // as its own failure left it
		require.Equal(t, "ana", b.audit("rollout.abort")[0].Actor)
		require.Equal(t, []auditEntry{{Actor: "ana", Action: "rollout.rollback", Subject: fmt.Sprint(r.ID),
			Detail: "3 tenants back to their versions before the rollout, 0 failed"}}, b.audit("rollout.rollback"))

		for _, tc := range []struct {
			name   string
			id     int64
			action herd.RolloutAction
		}{
			{"pause an aborted rollout", r.ID, herd.PauseRollout},
			{"resume an aborted rollout", r.ID, herd.ResumeRollout},
			{"an unknown rollout", r.ID + 1, herd.PauseRollout},
			{"an unknown action", r.ID, "explode"},
		} {
			_, err := b.fleet.SteerRollout(b.ctx, "ana", tc.id, tc.action)
			require.True(t, herd.IsInputError(err), "%s: %v", tc.name, err)
		}
		require.Len(t, b.audit("rollout.pause"), 0, "a refusal is not audited")
	})
}
