package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// The console's tokens in the tests: one viewer, one operator.
var (
	vera = server.Token{Name: "vera", Secret: "viewer-secret-1"}
	otto = server.Token{Name: "otto", Secret: "operator-secret-1"}
)

// consoleBundle is a fleet of three tenants at v1.0.0 with a rollout to
// v1.1.0 started (running, nobody working it), served with vera and otto.
type consoleBundle struct {
	fleet   *herd.Fleet
	store   *control.Store
	base    string
	rollout int64
}

func setupConsole(t *testing.T, e herdtest.Engine) consoleBundle {
	t.Helper()
	b := startedRollout(t, e)
	srv := httptest.NewServer(server.New(b.fleet, consoleOptions))
	t.Cleanup(srv.Close)
	b.base = srv.URL
	return b
}

// consoleOptions serve vera and otto.
var consoleOptions = server.Options{Viewers: []server.Token{vera}, Operators: []server.Token{otto}}

// startedRollout is setupConsole's fleet and rollout, not served yet.
func startedRollout(t *testing.T, e herdtest.Engine) consoleBundle {
	t.Helper()
	fleet, scratch := openFleetOn(t, e, testFlags, map[string]string{"alpha": "1.0.0", "beta": "1.0.0", "gamma": "1.0.0"})
	r, _, err := fleet.Rollouts(herd.RolloutOptions{}).Start(t.Context(), herd.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	return consoleBundle{fleet: fleet, store: scratch.Control(t), rollout: r.ID}
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, as a test sees them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request; header holds name, value pairs.
func (b *browser) do(method, path string, form url.Values, header ...string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return roundTrip(b.t, b.c, req, header...)
}

// signIn signs b in with token and checks the session cookie's flags.
func (b *browser) signIn(token string) {
	b.t.Helper()
	resp := b.do(http.MethodPost, "/login", url.Values{"token": {token}, "next": {"/releases"}}, "Origin", b.base, "Sec-Fetch-Site", "same-origin")
	require.Equal(b.t, http.StatusSeeOther, resp.status, string(resp.body))
	require.Equal(b.t, "/releases", resp.header.Get("Location"))
	cookie := resp.header.Get("Set-Cookie")
	require.Contains(b.t, cookie, "herd_session=")
	require.Contains(b.t, cookie, "HttpOnly")
	require.Contains(b.t, cookie, "SameSite=Strict")
	require.NotContains(b.t, cookie, "Secure", "plain HTTP: a Secure cookie would never come back")
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token off the confirmation page of action.
func (b *browser) csrf(rollout int64, action string) string {
	b.t.Helper()
	resp := b.do(http.MethodGet, rolloutPath(rollout)+"/actions/"+action, nil)
	require.Equal(b.t, http.StatusOK, resp.status, string(resp.body))
	m := csrfField.FindSubmatch(resp.body)
	require.NotNil(b.t, m, "the confirmation page carries a form token")
	return string(m[1])
}

func rolloutPath(id int64) string { return "/rollouts/" + strconv.FormatInt(id, 10) }

func status(t *testing.T, store *control.Store, id int64) control.RolloutStatus {
	t.Helper()
	r, err := store.Rollout(context.Background(), id)
	require.NoError(t, err)
	return r.Status
}

// Signing in, the pages and the actions, on every control-database
// engine: a viewer reads and sees no action; an operator's confirmed,
// same-site POST with its form token pauses the rollout (the control
// database says so) and nothing else does.
func TestConsoleActions(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setupConsole(t, e)
		path := rolloutPath(b.rollout)

		anonymous := newBrowser(t, b.base)
		resp := anonymous.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusSeeOther, resp.status, "a browser without a session signs in first")
		require.Equal(t, "/login?next="+url.QueryEscape(path), resp.header.Get("Location"))
		resp = anonymous.do(http.MethodPost, "/login", url.Values{"token": {"not-a-token"}})
		require.Equal(t, http.StatusUnauthorized, resp.status)
		require.Contains(t, string(resp.body), "That is not a token of this server.")
		resp = anonymous.do(http.MethodPost, "/login", url.Values{"token": {otto.Secret}}, "Origin", "http://evil.example")
		require.Equal(t, http.StatusForbidden, resp.status, "a sign-in from another site")

		viewer := newBrowser(t, b.base)
		viewer.signIn(vera.Secret)
		resp = viewer.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, resp.status)
		require.Contains(t, string(resp.body), "vera · viewer")
		require.NotContains(t, string(resp.body), `id="action-pause"`, "a viewer sees no action")
		resp = viewer.do(http.MethodGet, path+"/actions/pause", nil)
		require.Equal(t, http.StatusForbidden, resp.status)

		operator := newBrowser(t, b.base)
		operator.signIn(otto.Secret)
		resp = operator.do(http.MethodGet, path, nil)
		require.Contains(t, string(resp.body), `id="action-pause"`)
		require.Contains(t, string(resp.body), "otto · operator")
		token := operator.csrf(b.rollout, "pause")

		for _, tc := range []struct {
			name   string
			as     *browser
			form   url.Values
			header []string
			want   int
		}{
			{"a viewer", viewer, url.Values{"csrf": {token}, "confirm": {"yes"}}, nil, http.StatusForbidden},
			{"no form token", operator, url.Values{"confirm": {"yes"}}, nil, http.StatusForbidden},
			{"another session's form token", operator, url.Values{"csrf": {"forged"}, "confirm": {"yes"}}, nil, http.StatusForbidden},
			{"a cross-site form", operator, url.Values{"csrf": {token}, "confirm": {"yes"}}, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
			{"a cross-site fetch", operator, url.Values{"csrf": {token}, "confirm": {"yes"}}, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
			{"not confirmed", operator, url.Values{"csrf": {token}}, nil, http.StatusBadRequest},
			{"no session", anonymous, url.Values{"csrf": {token}, "confirm": {"yes"}}, nil, http.StatusSeeOther},
		} {
			resp := tc.as.do(http.MethodPost, path+"/actions/pause", tc.form, tc.header...)
			require.Equal(t, tc.want, resp.status, "%s: %s", tc.name, resp.body)
			require.Equal(t, control.RolloutRunning, status(t, b.store, b.rollout), "%s changes nothing", tc.name)
		}
		resp = viewer.do(http.MethodPost, path+"/actions/pause", url.Values{"csrf": {token}, "confirm": {"yes"}})
		require.Contains(t, string(resp.body), "this needs an operator token; vera is a viewer")

		resp = operator.do(http.MethodPost, path+"/actions/pause", url.Values{"csrf": {token}, "confirm": {"yes"}}, "Origin", b.base, "Sec-Fetch-Site", "same-origin")
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		require.Equal(t, path+"?done=pause", resp.header.Get("Location"))
		require.Equal(t, control.RolloutPaused, status(t, b.store, b.rollout))
		require.Equal(t, "otto", lastActor(t, b.fleet, "rollout.pause"))
		resp = operator.do(http.MethodGet, path+"?done=pause", nil)
		require.Contains(t, string(resp.body), `id="action-resume"`)
		require.NotContains(t, string(resp.body), `id="action-pause"`)

		// A program acts with the operator's bearer token: no cookie, so
		// no forgery, and no form token.
		api := newBrowser(t, b.base)
		resp = api.do(http.MethodPost, path+"/actions/resume", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		require.Equal(t, control.RolloutRunning, status(t, b.store, b.rollout))
		resp = api.do(http.MethodPost, path+"/actions/pause", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+vera.Secret)
		require.Equal(t, http.StatusForbidden, resp.status)
		resp = api.do(http.MethodPost, path+"/actions/abort", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
		require.Equal(t, http.StatusSeeOther, resp.status)
		require.Equal(t, control.RolloutAborted, status(t, b.store, b.rollout))
		resp = api.do(http.MethodPost, path+"/actions/pause", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
		require.Equal(t, http.StatusBadRequest, resp.status, "an aborted rollout cannot be paused")
		require.Contains(t, string(resp.body), "is aborted; cannot pause it")
		resp = api.do(http.MethodPost, path+"/actions/explode", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
		require.Equal(t, http.StatusNotFound, resp.status)

		resp = operator.do(http.MethodPost, "/logout", nil, "Origin", b.base)
		require.Equal(t, http.StatusSeeOther, resp.status)
		resp = operator.do(http.MethodGet, path, nil)
		require.Equal(t, http.StatusSeeOther, resp.status, "signed out")
	})
}

// lastActor reads, from the audit log, who did the newest entry of
// action.
func lastActor(t *testing.T, fleet *herd.Fleet, action string) string {
	t.Helper()
	log, err := fleet.AuditLog(context.Background(), herd.AuditQuery{Action: action, Page: herd.Page{Limit: 1}})
	require.NoError(t, err)
	require.Len(t, log.Entries, 1, "an audit entry of %s", action)
	return log.Entries[0].Actor
}

// Every page of the console, on every engine, read with a viewer's
// bearer token: what it shows of the fleet, and a bad filter or an
// unknown thing answered with a page naming it.
func TestConsolePages(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setupConsole(t, e)
		_, err := b.fleet.SteerRollout(t.Context(), "otto", b.rollout, herd.PauseRollout)
		require.NoError(t, err)
		viewer := newBrowser(t, b.base)
		for _, tc := range []struct {
			path   string
			status int
			want   []string
		}{
			{"/", http.StatusOK, []string{`<dd id="fleet-tenants">3</dd>`, `<dd id="status-pending">3</dd>`, `id="version-1.0.0">3<`, // marked for the rollout
				`Rollout ` + strconv.FormatInt(b.rollout, 10) + `</a>`, "state s-paused"}},
			{"/tenants", http.StatusOK, []string{`href="/tenants/alpha"`, `href="/tenants/beta"`, `href="/tenants/gamma"`}},
			{"/tenants?q=alp", http.StatusOK, []string{`href="/tenants/alpha"`}},
			{"/tenants?status=failed", http.StatusOK, []string{"No tenant matches."}},
			{"/tenants?status=done", http.StatusBadRequest, []string{"parameter status"}},
			{"/tenants?cursor=forged", http.StatusBadRequest, []string{"parameter cursor"}},
			{"/tenants/alpha", http.StatusOK, []string{`<dd id="tenant-version">v1.0.0</dd>`, "001_create_students", "<td>everyone</td>", "PERCENTAGE_ON", "VERSION_GATE",
				`href="/rollouts/` + strconv.FormatInt(b.rollout, 10) + `"`, "set serve.public_url in herd.yaml for a subscribe link"}},
			{"/tenants/nobody", http.StatusNotFound, []string{"nobody"}},
			{"/tenants/alpha?rollouts_before=x", http.StatusBadRequest, []string{"rollouts_before &#34;x&#34;: want a rollout&#39;s id"}},
			{"/tenants/alpha?rollouts_before=" + strconv.FormatInt(b.rollout, 10), http.StatusOK, []string{`<dd id="tenant-version">v1.0.0</dd>`}},
			{"/rollouts", http.StatusOK, []string{`href="/rollouts/` + strconv.FormatInt(b.rollout, 10) + `"`, "v1.1.0"}},
			{"/rollouts?status=sleeping", http.StatusBadRequest, []string{"parameter status"}},
			{rolloutPath(b.rollout), http.StatusOK, []string{`<dd id="count-pending">3</dd>`, "state s-paused"}},
			{rolloutPath(b.rollout + 1), http.StatusNotFound, []string{"rollout"}},
			{"/rollouts/x", http.StatusNotFound, []string{`is not a rollout id`}},
			{"/releases", http.StatusOK, []string{"v1.1.0", "v2_feature"}},
			{"/audit", http.StatusOK, []string{"<td>otto</td><td>rollout.pause</td>"}},
			{"/audit?actor=nobody", http.StatusOK, []string{"Nothing recorded."}},
			{"/static/console.css", http.StatusOK, []string{"svg.bar"}},
		} {
			resp := viewer.do(http.MethodGet, tc.path, nil, "Authorization", "Bearer "+vera.Secret)
			require.Equal(t, tc.status, resp.status, "%s: %s", tc.path, resp.body)
			for _, want := range tc.want {
				require.Contains(t, string(resp.body), want, tc.path)
			}
		}
	})
}

// Behind a proxy that ends TLS and says so (X-Forwarded-Proto: https),
// the session cookie is Secure and the browser's https Origin is this
// server's.
func TestConsoleBehindTLSProxy(t *testing.T) {
	t.Parallel()
	b := setupConsole(t, herdtest.Engines()[0])
	host := strings.TrimPrefix(b.base, "http://")
	proxied := newBrowser(t, b.base)
	resp := proxied.do(http.MethodPost, "/login", url.Values{"token": {otto.Secret}}, "X-Forwarded-Proto", "https", "Origin", "https://"+host)
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	require.Contains(t, resp.header.Get("Set-Cookie"), "; Secure")

	// The jar keeps a Secure cookie for https only: send it by hand.
	cookie := strings.Split(resp.header.Get("Set-Cookie"), ";")[0]
	resp = proxied.do(http.MethodGet, rolloutPath(b.rollout)+"/actions/pause", nil, "Cookie", cookie, "X-Forwarded-Proto", "https")
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	token := string(csrfField.FindSubmatch(resp.body)[1])
	resp = proxied.do(http.MethodPost, rolloutPath(b.rollout)+"/actions/pause", url.Values{"csrf": {token}, "confirm": {"yes"}},
		"Cookie", cookie, "X-Forwarded-Proto", "https", "Origin", "https://"+host, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
	require.Equal(t, control.RolloutPaused, status(t, b.store, b.rollout))
}

// Resuming from the console reopens the rollout and starts no runner:
// the page says so, and whether a runner holds a lease on its tenants
// now (as the control database says, on every engine).
func TestConsoleResumeSaysWhoRuns(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setupConsole(t, e)
		_, err := b.fleet.SteerRollout(t.Context(), "otto", b.rollout, herd.PauseRollout)
		require.NoError(t, err)
		path := rolloutPath(b.rollout)
		id := strconv.FormatInt(b.rollout, 10)
		operator := newBrowser(t, b.base)
		resp := operator.do(http.MethodPost, path+"/actions/resume", url.Values{"confirm": {"yes"}}, "Authorization", "Bearer "+otto.Secret)
		require.Equal(t, http.StatusSeeOther, resp.status, string(resp.body))
		require.Equal(t, path+"?done=resume", resp.header.Get("Location"))
		require.Equal(t, control.RolloutRunning, status(t, b.store, b.rollout))

		resp = operator.do(http.MethodGet, path+"?done=resume", nil, "Authorization", "Bearer "+otto.Secret)
		page := string(resp.body)
		require.Contains(t, page, "Resumed: the rollout is runnable again. herd serve runs no runner")
		require.Contains(t, page, "run <code>herd rollout work "+id+"</code> to carry it on")
		require.Contains(t, page, `id="runners">No runner holds a lease on its tenants now.`)

		items, err := b.store.Items(t.Context(), b.rollout)
		require.NoError(t, err)
		_, ok, err := b.store.Claim(t.Context(), items[0], "runner-7", time.Hour)
		require.NoError(t, err)
		require.True(t, ok)
		resp = operator.do(http.MethodGet, path, nil, "Authorization", "Bearer "+vera.Secret)
		require.Contains(t, string(resp.body), `id="runners">Runners holding a lease on its tenants now: runner-7 (1).`)
	})
}
