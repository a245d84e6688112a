package herd_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/webhook"
)

// The rollout commands as an operator drives them: a dry run, a rollout
// that stops with tenants waiting for their window (exit 3), status with
// the next eligible time, pause, resume, abort and retry.
func TestRolloutCommands(t *testing.T) {
	t.Parallel()
	tomorrow := strings.ToLower(time.Now().UTC().Add(24 * time.Hour).Weekday().String()[:3])
	b := setup(t, herdtest.Engines()[0], waveSource())
	b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`rollout:
  lease: 3s
  failure_budget: 5
maintenance_windows:
  tiers:
    enterprise: {days: [%s], hours: "01:00-02:00", time_zone: UTC}
`, tomorrow)))
	b.reopen()
	for _, spec := range []herd.TenantSpec{{Code: "a1"}, {Code: "a2"}, {Code: "e1", Tier: "enterprise"}, {Code: "bad"}} {
		_, err := b.fleet.AddTenant(b.ctx, spec)
		require.NoError(t, err)
	}
	require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
	b.duplicateID("bad")
	run := cliAt(t, b.scratch.ConfigPath)

	before := b.snapshot()
	out := run(0, "rollout", "start", "--to", "v1.1.0", "--tenants", "tier=standard,e1", "--dry-run")
	require.Contains(t, out, "a1")
	require.Contains(t, out, "e1")
	require.Equal(t, before, b.snapshot(), "a dry run changes nothing")

	run(2, "rollout", "start", "--to", "v9.0.0")
	run(2, "rollout", "start", "--to", "v1.1.0", "--tenants", "ghost")
	run(2, "rollout", "start")

	out = run(3, "rollout", "start", "--to", "v1.1.0", "--tenants", "a1,a2,e1", "--json")
	require.Contains(t, out, `"type":"tenant.done"`)
	require.Contains(t, out, `"type":"tenant.maintenance_planned","time":`)
	require.Contains(t, out, "wait for their maintenance window")

	type report struct {
		Rollout struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"rollout"`
		Counts  map[string]int `json:"counts"`
		Tenants []struct {
			Tenant       string     `json:"tenant"`
			State        string     `json:"state"`
			Attempts     int        `json:"attempts"`
			Error        string     `json:"error"`
			NextEligible *time.Time `json:"next_eligible"`
		} `json:"tenants"`
	}
	var rep report
	require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
	require.Equal(t, map[string]int{"done": 2, "pending": 1}, rep.Counts)
	require.Equal(t, "e1", rep.Tenants[2].Tenant)
	require.NotNil(t, rep.Tenants[2].NextEligible)
	require.Equal(t, 1, rep.Tenants[2].NextEligible.UTC().Hour())
	require.Contains(t, run(0, "rollout", "status"), "NEXT WINDOW")

	require.Contains(t, run(0, "rollout", "pause"), "paused")
	run(3, "rollout", "work")  // paused: nothing to do
	run(2, "rollout", "pause") // already paused
	require.Contains(t, run(0, "rollout", "abort"), "aborted")
	run(2, "rollout", "resume")

	out = run(1, "rollout", "start", "--to", "v1.1.0", "--tenants", "bad")
	require.Contains(t, out, "1 tenants failed")
	rep = report{}
	require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
	require.Equal(t, "rolled_back", rep.Tenants[0].State)
	require.Contains(t, rep.Tenants[0].Error, "rolled back to v1.0.0 (down migrations) after")
	require.Contains(t, rep.Tenants[0].Error, "003_copy")
	require.Contains(t, run(0, "rollout", "retry", "--failed"), "1 failed tenants pending again")
	run(1, "rollout", "work")
	require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
	require.Equal(t, 2, rep.Tenants[0].Attempts)
	run(2, "rollout", "status", "x")

	db, _, err := b.fleet.OpenTenant(b.ctx, "bad")
	require.NoError(t, err)
	_, err = db.DB.ExecContext(b.ctx, "DELETE FROM t WHERE v = 2")
	require.NoError(t, err)
	db.Close()
	require.Contains(t, run(0, "rollout", "retry", "--failed"), "1 failed tenants pending again")
	run(0, "rollout", "work")
	require.Contains(t, run(0, "rollout", "retry", "--failed"), "nothing to retry (the rollout stays completed)")
	rep = report{}
	require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &rep))
	require.Equal(t, "completed", rep.Rollout.Status)
	require.Equal(t, map[string]int{"done": 1}, rep.Counts)
}

// A rollout's events reach the webhooks of herd.yaml, signed.
func TestRolloutWebhooks(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		events []string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify("hook-secret", r.Header, body, time.Minute, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e event.Event
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		events = append(events, string(e.Type)+" "+e.Tenant)
		mu.Unlock()
	}))
	defer receiver.Close()

	b := setup(t, herdtest.Engines()[0], waveSource())
	b.scratch.WriteConfig(t, b.scratch.Config(fmt.Sprintf(`webhooks:
  - url: %q
    secret: hook-secret
    events: [rollout.started, tenant.done, rollout.completed]
`, receiver.URL)))
	b.reopen()
	b.addTenant("alpha")
	require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
	code, out := runCLI(t, "--config", b.scratch.ConfigPath, "rollout", "start", "--to", "v1.1.0")
	require.Equal(t, 0, code, out)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"rollout.started ", "tenant.done alpha", "rollout.completed "}, events)
}
