package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// rollbackServer serves b's fleet with each tenant outcome of an
// emergency rollback handed to hook before the rollback goes on.
func rollbackServer(t *testing.T, b *consoleBundle, hook func(context.Context, herd.RolledBack)) *server.Server {
	t.Helper()
	srv := server.NewRollbackHooked(b.fleet, consoleOptions, hook)
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	b.base = h.URL
	return srv
}

// rollback reads rollout id's emergency rollback from the control
// database.
func rollback(t *testing.T, b consoleBundle) control.RolloutRollback {
	t.Helper()
	rb, ok, err := b.store.Rollback(context.Background(), b.rollout)
	require.NoError(t, err)
	require.True(t, ok, "rollout %d has a rollback recorded", b.rollout)
	return rb
}

// versions reads each tenant's schema version.
func versions(t *testing.T, fleet *herd.Fleet, codes ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, code := range codes {
		v, ok, err := fleet.Version(context.Background(), herd.TenantRef(code))
		require.NoError(t, err)
		require.True(t, ok, code)
		out[code] = v.CurrentVersion
	}
	return out
}

// The emergency rollback from the console, on every engine, runs in the
// background of herd serve: the POST starts it and sends the operator to
// the rollout's page, which follows it live from the control database.
// Stopping the server stops it between tenants, recorded interrupted,
// the page saying how to carry on; started again, it runs to its end,
// and a second one while it runs is refused 409, from this server or
// another. Start and end are audited under the operator's name.
func TestConsoleRollbackInBackground(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := startedRollout(t, e)
		_, err := b.fleet.Rollouts(herd.RolloutOptions{}).Work(t.Context(), b.rollout)
		require.NoError(t, err)
		path := rolloutPath(b.rollout)
		id := strconv.FormatInt(b.rollout, 10)
		form := url.Values{"confirm": {"yes"}}
		bearer := []string{"Authorization", "Bearer " + otto.Secret}

		// The first server stops while the first tenant is taken back.
		first := make(chan herd.RolledBack, 1)
		srv := rollbackServer(t, &b, func(ctx context.Context, out herd.RolledBack) {
			first <- out
			<-ctx.Done() // held until the server stops
		})
		api := newBrowser(t, b.base)
		resp := api.do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		require.Equal(t, path+"?done=rollback", resp.header.Get("Location"))
		back := <-first
		require.NoError(t, back.Err)

		resp = api.do(http.MethodGet, path+"?done=rollback", nil, bearer...)
		require.Equal(t, http.StatusOK, resp.status)
		page := string(resp.body)
		require.Contains(t, page, "Emergency rollback started")
		require.Contains(t, page, `data-events="/rollouts/`+id+`/events"`, "a finished rollout rolling back is followed live")
		require.Contains(t, page, `id="rollback-status">running<`)
		require.Contains(t, page, `<dd id="rollback-rolled-back">1</dd>`)
		require.Contains(t, page, `<dd id="rollback-left">2</dd>`)
		require.NotContains(t, page, `id="action-rollback"`, "no second rollback is offered while one runs")
		resp = api.do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusConflict, resp.status, "a second rollback while one runs")
		require.Contains(t, string(resp.body), "an emergency rollback of rollout "+id+" is running already")
		// Another herd serve on the same control database refuses too.
		other := httptest.NewServer(server.NewRollbackHooked(b.fleet, consoleOptions, nil))
		t.Cleanup(other.Close)
		resp = newBrowser(t, other.URL).do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusConflict, resp.status, "a second rollback from another process")
		require.Contains(t, string(resp.body), "an emergency rollback of the rollout is running already: started by otto")
		s := watch(t, b.base, path+"/events", otto.Secret)
		require.Contains(t, s.next(t), `<dd id="rollback-rolled-back">1</dd>`, "the live stream carries the rollback's progress")

		require.NoError(t, srv.Shutdown(t.Context()))
		rb := rollback(t, b)
		require.Equal(t, control.RollbackInterrupted, rb.Status)
		require.Equal(t, []int{3, 1, 0, 2}, []int{rb.Tenants, rb.RolledBack, rb.Failed, rb.Left()})
		require.Equal(t, "otto", rb.Actor)
		require.Equal(t, "otto", lastActor(t, b.fleet, "rollout.rollback.start"))
		require.Equal(t, "otto", lastActor(t, b.fleet, "rollout.rollback.interrupted"))
		got := versions(t, b.fleet, "alpha", "beta", "gamma")
		require.Equal(t, "1.0.0", got[back.Tenant], "the tenant in flight finished")
		delete(got, back.Tenant)
		require.Len(t, got, 2)
		for code, v := range got {
			require.Equal(t, "1.1.0", v, "%s was not started", code)
		}
		resp = api.do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusConflict, resp.status, "a stopping server starts no rollback")

		// herd serve again: the page says the rollback was interrupted and
		// how to carry on; starting it again from the console finishes it.
		release := make(chan struct{})
		outcomes := make(chan herd.RolledBack, 3)
		srv = rollbackServer(t, &b, func(_ context.Context, out herd.RolledBack) {
			outcomes <- out
			<-release
		})
		api = newBrowser(t, b.base)
		resp = api.do(http.MethodGet, path, nil, bearer...)
		page = string(resp.body)
		require.Contains(t, page, `id="rollback-status">interrupted<`)
		require.Contains(t, page, "herd serve stopped with 2 tenants left")
		require.Contains(t, page, "herd rollback --rollout "+id+" --to v1.0.0")
		require.NotContains(t, page, "data-events=", "nothing moves: the page is not live")
		require.Contains(t, page, `id="action-rollback"`)

		resp = api.do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		<-outcomes
		resp = api.do(http.MethodPost, path+"/actions/rollback", form, bearer...)
		require.Equal(t, http.StatusConflict, resp.status)
		close(release)
		for range 2 {
			require.NoError(t, (<-outcomes).Err)
		}
		require.NoError(t, srv.Shutdown(t.Context()), "waits for the rollback's end")
		rb = rollback(t, b)
		require.Equal(t, control.RollbackDone, rb.Status)
		require.Equal(t, []int{3, 3, 0, 0}, []int{rb.Tenants, rb.RolledBack, rb.Failed, rb.Left()})
		require.NotNil(t, rb.FinishedAt)
		require.Equal(t, "otto", lastActor(t, b.fleet, "rollout.rollback"))
		require.Equal(t, map[string]string{"alpha": "1.0.0", "beta": "1.0.0", "gamma": "1.0.0"}, versions(t, b.fleet, "alpha", "beta", "gamma"))
		require.Equal(t, control.RolloutCompleted, status(t, b.store, b.rollout), "a finished rollout stays as it was")
		resp = api.do(http.MethodGet, path, nil, bearer...)
		require.Contains(t, string(resp.body), `id="rollback-status">done<`)
		require.Contains(t, string(resp.body), `<dd id="rollback-rolled-back">3</dd>`)
	})
}

// A tenant the rollback cannot take back (it had no version before the
// rollout) counts as failed, with its error on the page and in the audit
// log, and the rollback goes on to the others.
func TestConsoleRollbackCountsFailures(t *testing.T) {
	t.Parallel()
	fleet, scratch := openFleetOn(t, herdtest.Engines()[0], testFlags, map[string]string{"alpha": "1.0.0", "delta": ""})
	r, _, err := fleet.Rollouts(herd.RolloutOptions{}).Start(t.Context(), herd.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	b := consoleBundle{fleet: fleet, store: scratch.Control(t), rollout: r.ID}
	_, err = fleet.Rollouts(herd.RolloutOptions{}).Work(t.Context(), b.rollout)
	require.NoError(t, err)
	outcomes := make(chan herd.RolledBack, 2)
	srv := rollbackServer(t, &b, func(_ context.Context, out herd.RolledBack) { outcomes <- out })
	api := newBrowser(t, b.base)
	resp := api.do(http.MethodPost, rolloutPath(b.rollout)+"/actions/rollback", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	<-outcomes
	<-outcomes
	require.NoError(t, srv.Shutdown(t.Context()), "waits for the rollback's end")

	rb := rollback(t, b)
	require.Equal(t, control.RollbackDone, rb.Status)
	require.Equal(t, []int{2, 1, 1, 0}, []int{rb.Tenants, rb.RolledBack, rb.Failed, rb.Left()})
	require.Contains(t, rb.LastError, "tenant delta had no schema version before the rollout")
	require.Equal(t, "1.0.0", versions(t, fleet, "alpha")["alpha"])
	log, err := fleet.AuditLog(t.Context(), herd.AuditQuery{Action: "rollout.rollback.failed", Page: herd.Page{Limit: 10}})
	require.NoError(t, err)
	require.Len(t, log.Entries, 1)
	require.Equal(t, "delta", log.Entries[0].Subject)
	require.Equal(t, "otto", log.Entries[0].Actor)
	resp = api.do(http.MethodGet, rolloutPath(b.rollout), nil, "Authorization", "Bearer "+vera.Secret)
	require.Contains(t, string(resp.body), `<dd id="rollback-failed">1</dd>`)
	require.Contains(t, string(resp.body), "Last failure: tenant delta had no schema version before the rollout")
}
