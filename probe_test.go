package herd_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
)

// An HTTP health probe that starts failing during the bake time after a
// tenant's migration rolls that tenant back; a SQL probe runs against the
// tenant's database.
func TestHealthProbeFailingDuringBakeRollsBack(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		var calls atomic.Int32
		health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health/alpha" {
				http.NotFound(w, r)
				return
			}
			if calls.Add(1) > 1 { // healthy right after the migration, then not
				http.Error(w, "students page 500s", http.StatusInternalServerError)
			}
		}))
		defer health.Close()

		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`rollout:
  lease: 5s
  bake_time: 30s
  probe_interval: 1s
  failure_budget: 1
health_probes:
  sql:
    - name: u_readable
      query: SELECT COUNT(*) >= 0 FROM t
  http: "%s/health/{code}"
`, health.URL)))
		b.reopen()
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))

		m := b.fleet.Rollouts(rollout.Options{})
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		out, err := m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, 1, out.Failed)

		items, err := b.control().Items(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.ItemRolledBack, items[0].State)
		require.Contains(t, items[0].Error, "health probe http failed")
		require.Contains(t, items[0].Error, "500")
		require.GreaterOrEqual(t, calls.Load(), int32(2))
		b.agreeRolledBack(control.TenantRef("alpha"), "1.0.0")
	})
}
