package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// testFlags declares one flag per OpenFeature reason herd answers with.
const testFlags = `flags:
  split:
    required_version: 1.0.0
    rollout_percentage: 50
  everyone:
    required_version: 1.0.0
    rollout_percentage: 100
  dark:
    required_version: 1.0.0
  beta_only:
    required_version: 1.0.0
    beta_tenants: [alpha]
  v2_feature:
    required_version: 2.0.0
    rollout_percentage: 100
`

// openFleet makes a SQLite fleet with the School ERP migrations, the given
// flags section and tenants, each migrated to the version given.
func openFleet(t testing.TB, flagsSection string, tenants map[string]string) *herd.Fleet {
	t.Helper()
	fleet, _ := openFleetOn(t, herdtest.Engines()[0], flagsSection, tenants)
	return fleet
}

// openFleetOn makes the fleet openFleet makes on engine e, and returns
// its scratch fleet too. The tenants' databases are dropped when the test
// ends.
func openFleetOn(t testing.TB, e herdtest.Engine, flagsSection string, tenants map[string]string) (*herd.Fleet, *herdtest.Fleet) {
	t.Helper()
	ctx := context.Background()
	migrations, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	scratch := e.NewFleet(t, migrations)
	scratch.WriteConfig(t, scratch.Config(flagsSection))
	fleet, err := herd.Open(ctx, scratch.Load(t), herdtest.Dialects(), herd.Options{})
	require.NoError(t, err)
	var codes []string
	t.Cleanup(func() {
		fleet.Close()
		scratch.DropTenants(t, codes)
	})
	for code, version := range tenants {
		codes = append(codes, code)
		_, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: code})
		require.NoError(t, err)
		if version != "" {
			require.NoError(t, fleet.Migrate(ctx, control.TenantRef(code), version))
		}
	}
	return fleet, scratch
}

// clock is a fake clock for the snapshot's age.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// client posts OFREP requests to a real HTTP server on loopback.
type client struct {
	t     *testing.T
	base  string
	token string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c client) post(path, body string, header ...string) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return roundTrip(c.t, http.DefaultClient, req, header...)
}

// roundTrip sends req through hc with the headers given as name, value
// pairs, and reads the response.
func roundTrip(t *testing.T, hc *http.Client, req *http.Request, header ...string) response {
	t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(r.body, &out), string(r.body))
	return out
}

func ctxBody(code string) string {
	return fmt.Sprintf(`{"context": {"targetingKey": %q, "email": "head@school.example"}}`, code)
}

func start(t *testing.T, fleet server.Fleet, opts server.Options) client {
	t.Helper()
	srv := httptest.NewServer(server.New(fleet, opts))
	t.Cleanup(srv.Close)
	return client{t: t, base: srv.URL}
}

func TestEvaluateFlag(t *testing.T) {
	t.Parallel()
	fleet := openFleet(t, testFlags, map[string]string{"alpha": "1.0.0", "beta": "2.0.0"})
	c := start(t, fleet, server.Options{})

	// Each herd reason maps to an OpenFeature reason.
	for _, tc := range []struct {
		flag, tenant, reason string
		herdReason           flags.Reason
	}{
		{"v2_feature", "alpha", "TARGETING_MATCH", flags.ReasonVersionGate},
		{"beta_only", "alpha", "TARGETING_MATCH", flags.ReasonBeta},
		{"beta_only", "beta", "DEFAULT", flags.ReasonPercentageOff},
		{"everyone", "alpha", "DEFAULT", flags.ReasonPercentageOn},
		{"dark", "alpha", "DISABLED", flags.ReasonPercentageOff},
		{"split", "alpha", "SPLIT", ""},
		{"split", "beta", "SPLIT", ""},
	} {
		t.Run(tc.flag+"/"+tc.tenant, func(t *testing.T) {
			want, err := fleet.EvaluateFlag(t.Context(), tc.flag, tc.tenant)
			require.NoError(t, err)
			if tc.herdReason != "" {
				require.Equal(t, tc.herdReason, want.Reason)
			}
			resp := c.post("/ofrep/v1/evaluate/flags/"+tc.flag, ctxBody(tc.tenant))
			require.Equal(t, http.StatusOK, resp.status, string(resp.body))
			require.Equal(t, "application/json", resp.header.Get("Content-Type"))
			variant := "off"
			if want.Enabled {
				variant = "on"
			}
			md := map[string]any{"herdReason": string(want.Reason), "detail": want.Detail(), "requiredVersion": map[string]string{
				"v2_feature": "2.0.0"}[tc.flag], "tenantVersion": map[string]string{"alpha": "1.0.0", "beta": "2.0.0"}[tc.tenant]}
			if md["requiredVersion"] == "" {
				md["requiredVersion"] = "1.0.0"
			}
			require.Equal(t, map[string]any{"key": tc.flag, "value": want.Enabled, "reason": tc.reason, "variant": variant,
				"metadata": md}, resp.object(t))
		})
	}

	// Errors, as the spec shapes them.
	resp := c.post("/ofrep/v1/evaluate/flags/no_such_flag", ctxBody("alpha"))
	require.Equal(t, http.StatusNotFound, resp.status)
	require.Equal(t, map[string]any{"key": "no_such_flag", "errorCode": "FLAG_NOT_FOUND",
		"errorDetails": `flag "no_such_flag" is not declared in herd.yaml`}, resp.object(t))

	for _, body := range []string{`{"context": {}}`, `{}`, ``, `{"context": {"targetingKey": ""}}`} {
		resp = c.post("/ofrep/v1/evaluate/flags/everyone", body)
		require.Equal(t, http.StatusBadRequest, resp.status, body)
		got := resp.object(t)
		require.Equal(t, "everyone", got["key"])
		require.Equal(t, "TARGETING_KEY_MISSING", got["errorCode"], body)
	}

	resp = c.post("/ofrep/v1/evaluate/flags/everyone", ctxBody("nobody"))
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, map[string]any{"key": "everyone", "errorCode": "INVALID_CONTEXT",
		"errorDetails": `targetingKey "nobody" is not a registered tenant`}, resp.object(t))

	resp = c.post("/ofrep/v1/evaluate/flags/everyone", `{"context": {"targetingKey": 42}}`)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "INVALID_CONTEXT", resp.object(t)["errorCode"])

	resp = c.post("/ofrep/v1/evaluate/flags/everyone", `{"context": `)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, "PARSE_ERROR", resp.object(t)["errorCode"])

	get, err := http.Get(c.base + "/ofrep/v1/evaluate/flags/everyone")
	require.NoError(t, err)
	get.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)
}

func TestEvaluateFlagsBulk(t *testing.T) {
	t.Parallel()
	fleet := openFleet(t, testFlags, map[string]string{"alpha": "1.0.0", "beta": "2.0.0"})
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c := start(t, fleet, server.Options{Now: clk.Now, RefreshEvery: time.Minute})

	resp := c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"))
	require.Equal(t, http.StatusOK, resp.status, string(resp.body))
	etag := resp.header.Get("ETag")
	require.Regexp(t, `^"[A-Za-z0-9_-]+"$`, etag)
	var bulk struct {
		Flags []struct {
			Key     string `json:"key"`
			Value   bool   `json:"value"`
			Reason  string `json:"reason"`
			Variant string `json:"variant"`
		} `json:"flags"`
	}
	require.NoError(t, json.Unmarshal(resp.body, &bulk))
	want, err := fleet.EvaluateFlags(t.Context(), "alpha")
	require.NoError(t, err)
	require.Len(t, bulk.Flags, len(want)+1, "the declared flags, then herd's own")
	for i, w := range want {
		require.Equal(t, w.Flag, bulk.Flags[i].Key)
		require.Equal(t, w.Enabled, bulk.Flags[i].Value, w.Flag)
	}
	require.Equal(t, server.ReadOnlyFlag, bulk.Flags[len(want)].Key)
	require.False(t, bulk.Flags[len(want)].Value)
	require.NotContains(t, resp.object(t), "metadata", "no flag-set metadata while the tenant is not frozen")

	// Unchanged: 304, no body, same ETag; also for a weak or listed tag.
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"), "If-None-Match", inm)
		require.Equal(t, http.StatusNotModified, resp.status, inm)
		require.Empty(t, resp.body)
		require.Equal(t, etag, resp.header.Get("ETag"))
	}
	resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"), "If-None-Match", `"other"`)
	require.Equal(t, http.StatusOK, resp.status)
	resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("beta"), "If-None-Match", etag)
	require.Equal(t, http.StatusOK, resp.status, "another tenant's answer differs")
	require.NotEqual(t, etag, resp.header.Get("ETag"))

	// A change in the control database shows once the snapshot is due.
	require.NoError(t, fleet.SetFlagOverride(t.Context(), "dark", "alpha", flags.OverrideOn))
	resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"), "If-None-Match", etag)
	require.Equal(t, http.StatusNotModified, resp.status, "the snapshot serves for a minute")
	clk.Advance(3 * time.Minute) // idle beyond twice the period: the next request waits for a new snapshot
	resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"), "If-None-Match", etag)
	require.Equal(t, http.StatusOK, resp.status)
	require.NotEqual(t, etag, resp.header.Get("ETag"))
	require.Contains(t, string(resp.body), `"key":"dark","value":true,"reason":"TARGETING_MATCH","variant":"on"`)

	// Due but recent: answered from the current snapshot while a new one
	// is taken in the background.
	require.NoError(t, fleet.SetFlagOverride(t.Context(), "dark", "alpha", flags.OverrideNone))
	clk.Advance(90 * time.Second)
	require.Eventually(t, func() bool {
		resp := c.post("/ofrep/v1/evaluate/flags/dark", ctxBody("alpha"))
		return resp.status == http.StatusOK && resp.object(t)["value"] == false
	}, 5*time.Second, 10*time.Millisecond)

	// Whole-request failures have no key.
	resp = c.post("/ofrep/v1/evaluate/flags", `{"context": {}}`)
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, map[string]any{"errorCode": "TARGETING_KEY_MISSING", "errorDetails": "the context needs a targetingKey: the tenant code"}, resp.object(t))
	resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("nobody"))
	require.Equal(t, http.StatusBadRequest, resp.status)
	require.Equal(t, map[string]any{"errorCode": "INVALID_CONTEXT", "errorDetails": `targetingKey "nobody" is not a registered tenant`}, resp.object(t))
}

func TestTokens(t *testing.T) {
	t.Parallel()
	fleet := openFleet(t, testFlags, map[string]string{"alpha": "1.0.0"})
	c := start(t, fleet, server.Options{Viewers: []server.Token{{Name: "one", Secret: "viewer-one"}, {Name: "two", Secret: "viewer-two"}}})

	for _, path := range []string{"/ofrep/v1/evaluate/flags/everyone", "/ofrep/v1/evaluate/flags"} {
		resp := c.post(path, ctxBody("alpha"))
		require.Equal(t, http.StatusUnauthorized, resp.status, path)
		require.Equal(t, `Bearer realm="herd"`, resp.header.Get("WWW-Authenticate"))
		require.Equal(t, "a viewer token is required: send Authorization: Bearer TOKEN or X-API-Key: TOKEN", resp.object(t)["errorDetails"])

		wrong := c
		wrong.token = "viewer-three"
		resp = wrong.post(path, ctxBody("alpha"))
		require.Equal(t, http.StatusUnauthorized, resp.status)
		require.Equal(t, `Bearer realm="herd", error="invalid_token"`, resp.header.Get("WWW-Authenticate"))
		require.Equal(t, "the token sent is not a viewer token of this server", resp.object(t)["errorDetails"])
		resp = c.post(path, ctxBody("alpha"), "X-API-Key", "viewer-three")
		require.Equal(t, "the token sent is not a viewer token of this server", resp.object(t)["errorDetails"])
		resp = c.post(path, ctxBody("alpha"), "Authorization", "Basic dmlld2VyLW9uZQ==")
		require.Equal(t, http.StatusUnauthorized, resp.status)
		require.Equal(t, "the Authorization header must be Bearer TOKEN", resp.object(t)["errorDetails"])

		for _, token := range []string{"viewer-one", "viewer-two"} {
			ok := c
			ok.token = token
			require.Equal(t, http.StatusOK, ok.post(path, ctxBody("alpha")).status, token)
		}
		require.Equal(t, http.StatusOK, c.post(path, ctxBody("alpha"), "X-API-Key", "viewer-two").status)
	}

	resp, err := http.Get(c.base + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "health needs no token")
	var h map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
	require.Equal(t, map[string]any{"status": "ok", "tenants": 1.0, "flags": 5.0}, h)
}

// failingFleet has no control database to read. The API's reads are
// not asked of it (api_test.go fails them on a closed fleet).
type failingFleet struct{ server.APIReader }

func (failingFleet) FlagSnapshot(context.Context) (*flags.Snapshot, error) {
	return nil, fmt.Errorf("control: read tenants for flags: connection refused")
}

func (failingFleet) WriteFreezes(context.Context) (map[string]time.Time, error) {
	return nil, fmt.Errorf("control: read write freezes: connection refused")
}

func (failingFleet) Generation(context.Context) (int64, error) {
	return 0, fmt.Errorf("control: read the change counter: connection refused")
}

// countingFleet counts the snapshots a real fleet is asked for.
type countingFleet struct {
	*herd.Fleet
	snapshots atomic.Int64
}

func (f *countingFleet) FlagSnapshot(ctx context.Context) (*flags.Snapshot, error) {
	f.snapshots.Add(1)
	return f.Fleet.FlagSnapshot(ctx)
}

// A due snapshot is taken again only when the control database changed:
// otherwise one read of the change counter renews it.
func TestSnapshotFollowsTheChangeCounter(t *testing.T) {
	t.Parallel()
	fleet := &countingFleet{Fleet: openFleet(t, testFlags, map[string]string{"alpha": "1.0.0"})}
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c := start(t, fleet, server.Options{Now: clk.Now, RefreshEvery: time.Minute})
	dark := func() any { return c.post("/ofrep/v1/evaluate/flags/dark", ctxBody("alpha")).object(t)["value"] }

	require.Equal(t, false, dark())
	require.EqualValues(t, 1, fleet.snapshots.Load())
	for range 3 {
		clk.Advance(3 * time.Minute) // due, and old enough that the request waits for the refresh
		require.Equal(t, false, dark())
	}
	require.EqualValues(t, 1, fleet.snapshots.Load(), "nothing changed: the counter says so, no new snapshot")

	require.NoError(t, fleet.SetFlagOverride(t.Context(), "dark", "alpha", flags.OverrideOn))
	clk.Advance(3 * time.Minute)
	require.Equal(t, true, dark())
	require.EqualValues(t, 2, fleet.snapshots.Load())
}

func TestNoSnapshot(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	var mu sync.Mutex
	c := start(t, failingFleet{}, server.Options{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))})
	resp := c.post("/ofrep/v1/evaluate/flags/everyone", ctxBody("alpha"))
	require.Equal(t, http.StatusInternalServerError, resp.status)
	require.Contains(t, resp.object(t)["errorDetails"], "control database could not be read")
	resp2, err := http.Get(c.base + "/healthz")
	require.NoError(t, err)
	resp2.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp2.StatusCode)
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, logged.String(), "connection refused")
}

// lockedWriter lets the server's goroutines log to one buffer.
type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
