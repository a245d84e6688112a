package herd_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/server"
)

// pauser is an event sink that, once armed, holds the migration at each
// event of the given types until the test lets it go on.
type pauser struct {
	armed   atomic.Bool
	at      map[event.Type]bool
	reached chan event.Type
	proceed chan struct{}
}

func newPauser(at ...event.Type) *pauser {
	p := &pauser{at: map[event.Type]bool{}, reached: make(chan event.Type), proceed: make(chan struct{})}
	for _, typ := range at {
		p.at[typ] = true
	}
	return p
}

// Send holds the sender at an armed point until proceed.
func (p *pauser) Send(e event.Event) {
	if !p.armed.Load() || !p.at[e.Type] {
		return
	}
	p.reached <- e.Type
	<-p.proceed
}

// wait returns once the migration holds at want, failing the test if the
// work ended (with the error on done) before it.
func (p *pauser) wait(t *testing.T, want event.Type, done <-chan error) {
	t.Helper()
	select {
	case got := <-p.reached:
		require.Equal(t, want, got)
	case err := <-done:
		t.Fatalf("the work ended before %s: %v", want, err)
	}
}

// While a shadow migration runs, herd says where it is: tenant show (text
// and JSON) and rollout status (text and JSON) name its phase, since
// when, and its progress, read from the control database while the
// migration holds at the end of its catch-up; frozen, herd serve answers
// herd.read_only for the tenant. Once it switched, or was abandoned, the
// record says how it ended; a record its herd stopped renewing reads as
// interrupted, until herd repair marks it abandoned.
func TestShadowMigrationStatus(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, shadowSource())
		b.scratch.WriteConfig(t, b.scratch.Config("rollout:\n  waves:\n    - {name: all, strategy: shadow}\n"))
		pause := newPauser(event.ShadowCatchUp, event.ShadowVerify)
		b.opts.Events = pause
		b.reopen()
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		_, err := b.fleet.SeedTenant(b.ctx, "alpha", "INSERT INTO pupils (id, name) VALUES (1, 'ada'), (2, 'bo');")
		require.NoError(t, err)
		old := b.tenantDatabase("alpha")
		run := cliAt(t, b.scratch.ConfigPath)

		// Abandoned: 003_bad fails on the shadow.
		require.Error(t, b.fleet.MigrateShadow(b.ctx, "alpha", "1.2.0"))
		d, err := b.fleet.TenantDetail(b.ctx, "alpha")
		require.NoError(t, err)
		require.NotNil(t, d.Shadow)
		require.Equal(t, herd.ShadowAbandoned, d.Shadow.State)
		require.Equal(t, control.ShadowMigrate, d.Shadow.Phase, "abandoned in the phase that failed")
		require.Equal(t, "1.2.0", d.Shadow.ToVersion)
		require.Contains(t, d.Shadow.Error, "v1.2.0/003_bad")
		require.NotNil(t, d.Shadow.EndedAt)
		require.Contains(t, run(0, "tenant", "show", "alpha"), "shadow    v1.0.0 -> v1.2.0: abandoned in migrate at ")

		// A rollout that migrates alpha by shadow migration, held at the
		// end of the catch-up.
		m := b.fleet.Rollouts(rollout.Options{})
		r, _, err := m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
		require.NoError(t, err)
		pause.armed.Store(true)
		done := make(chan error, 1)
		go func() {
			_, err := m.Work(b.ctx, r.ID)
			done <- err
		}()
		pause.wait(t, event.ShadowCatchUp, done)

		d, err = b.fleet.TenantDetail(b.ctx, "alpha")
		require.NoError(t, err)
		require.NotNil(t, d.Shadow)
		require.Equal(t, herd.ShadowRun{Tenant: "alpha", FromVersion: "1.0.0", ToVersion: "1.1.0", State: herd.ShadowRunning,
			Phase: control.ShadowCatchUp, StartedAt: d.Shadow.StartedAt, PhaseStartedAt: d.Shadow.PhaseStartedAt,
			Progress: &herd.ShadowProgress{Count: 0, Unit: "changes left"}, AliveUntil: d.Shadow.AliveUntil}, *d.Shadow)
		require.False(t, d.Shadow.PhaseStartedAt.Before(d.Shadow.StartedAt))
		rep, err := b.fleet.RolloutReport(b.ctx, r.ID)
		require.NoError(t, err)
		require.Len(t, rep.Tenants, 1)
		require.NotNil(t, rep.Tenants[0].Shadow, "rollout status says where the tenant is")
		require.Equal(t, control.ShadowCatchUp, rep.Tenants[0].Shadow.Phase)

		out := run(0, "tenant", "show", "alpha")
		require.Contains(t, out, "shadow    v1.0.0 -> v1.1.0: catchup since ")
		require.Contains(t, out, ", 0 changes left")
		var shown struct {
			Shadow *herd.ShadowRun `json:"shadow"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(0, "tenant", "show", "alpha", "--json")), &shown))
		require.NotNil(t, shown.Shadow)
		require.Equal(t, herd.ShadowRunning, shown.Shadow.State)
		require.Equal(t, control.ShadowCatchUp, shown.Shadow.Phase)
		require.Equal(t, &herd.ShadowProgress{Count: 0, Unit: "changes left"}, shown.Shadow.Progress)
		require.Regexp(t, `(?m)^alpha: shadow migration v1\.0\.0 -> v1\.1\.0: catchup since \S+ \S+, 0 changes left$`, run(0, "rollout", "status"))
		var status struct {
			Tenants []struct {
				Tenant string          `json:"tenant"`
				Shadow *herd.ShadowRun `json:"shadow"`
			} `json:"tenants"`
		}
		require.NoError(t, json.Unmarshal([]byte(run(0, "rollout", "status", "--json")), &status))
		require.Len(t, status.Tenants, 1)
		require.NotNil(t, status.Tenants[0].Shadow)
		require.Equal(t, control.ShadowCatchUp, status.Tenants[0].Shadow.Phase)

		// Held again at the end of the verification, its writes frozen:
		// herd serve says it is read-only.
		pause.proceed <- struct{}{}
		pause.wait(t, event.ShadowVerify, done)
		d, err = b.fleet.TenantDetail(b.ctx, "alpha")
		require.NoError(t, err)
		require.Equal(t, control.ShadowVerify, d.Shadow.Phase)
		require.Equal(t, herd.ShadowRunning, d.Shadow.State)
		require.Equal(t, true, readOnlyFlag(t, b.fleet, "alpha"), "frozen")
		pause.armed.Store(false)
		pause.proceed <- struct{}{}
		require.NoError(t, <-done)

		b.agree(control.TenantRef("alpha"), "1.1.0")
		d, err = b.fleet.TenantDetail(b.ctx, "alpha")
		require.NoError(t, err)
		require.Equal(t, herd.ShadowSwitched, d.Shadow.State)
		require.Equal(t, control.ShadowSwitch, d.Shadow.Phase)
		require.NotNil(t, d.Shadow.EndedAt)
		require.Empty(t, d.Shadow.Error)
		require.Equal(t, false, readOnlyFlag(t, b.fleet, "alpha"), "the freeze ended with the switch")
		rep, err = b.fleet.RolloutReport(b.ctx, r.ID)
		require.NoError(t, err)
		require.Nil(t, rep.Tenants[0].Shadow, "none running")
		require.NotContains(t, run(0, "rollout", "status"), "shadow migration")
		require.Contains(t, run(0, "tenant", "show", "alpha"), "shadow    v1.0.0 -> v1.1.0: switched at ")

		// Back to the first database, and the shadow dropped.
		run(0, "rollback", "--tenant", "alpha", "--to", "v1.0.0", "--discard-writes")
		require.Equal(t, old, b.tenantDatabase("alpha"))
		run(0, "cleanup", "--older-than", "0s", "--yes")

		// A record its herd stopped renewing (killed) reads as
		// interrupted, until herd repair removes what the run left.
		lapsed := time.Now().Add(-time.Minute)
		require.NoError(t, b.control().BeginShadowRun(b.ctx, herd.ShadowRun{Tenant: "alpha", FromVersion: "1.0.0", ToVersion: "1.1.0",
			Phase: control.ShadowCopy, StartedAt: lapsed.Add(-time.Minute)}, lapsed))
		interrupted, ok, err := b.fleet.ShadowRun(b.ctx, "alpha")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, herd.ShadowInterrupted, interrupted.State)
		require.Contains(t, run(0, "tenant", "show", "alpha"),
			"shadow    v1.0.0 -> v1.1.0: interrupted in copy (its herd stopped renewing the record, which lapsed at ")
		run(0, "repair", "--tenant", "alpha", "--action", "remove-shadow")
		removed, ok, err := b.fleet.ShadowRun(b.ctx, "alpha")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, herd.ShadowAbandoned, removed.State)
		require.Equal(t, "removed by herd repair", removed.Error)
	})
}

// readOnlyFlag asks a herd serve handler on fleet for herd.read_only of
// tenant code.
func readOnlyFlag(t *testing.T, fleet *herd.Fleet, code string) any {
	t.Helper()
	h := server.New(fleet, server.Options{})
	req := httptest.NewRequest(http.MethodPost, "/ofrep/v1/evaluate/flags/"+server.ReadOnlyFlag,
		strings.NewReader(`{"context": {"targetingKey": "`+code+`"}}`))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var out map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	return out["value"]
}
