package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// While the control database records a tenant's writes frozen (a shadow
// migration's cut-over), its answers say so: herd.read_only is true, and
// every evaluation's metadata and the bulk answer's carry readOnly; the
// other tenants' do not. A freeze that ends, or whose time passes (its
// herd was killed), no longer holds.
func TestReadOnlyWhileFrozen(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		fleet, scratch := openFleetOn(t, e, testFlags, map[string]string{"alpha": "1.0.0", "beta": "1.0.0"})
		store := scratch.Control(t)
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		clk := &clock{now: t0}
		c := start(t, fleet, server.Options{Now: clk.Now, RefreshEvery: time.Minute})
		readOnly := func(code string) map[string]any {
			t.Helper()
			resp := c.post("/ofrep/v1/evaluate/flags/"+server.ReadOnlyFlag, ctxBody(code))
			require.Equal(t, http.StatusOK, resp.status, string(resp.body))
			return resp.object(t)
		}
		refresh := func() { clk.Advance(3 * time.Minute) } // idle beyond twice the period: the next request takes a new snapshot

		require.Equal(t, map[string]any{"key": "herd.read_only", "value": false, "reason": "DEFAULT", "variant": "off",
			"metadata": map[string]any{"herdReason": "NO_WRITE_FREEZE", "detail": `the writes of tenant "alpha" are not frozen`}}, readOnly("alpha"))
		resp := c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"))
		require.Equal(t, http.StatusOK, resp.status)
		etag := resp.header.Get("ETag")
		require.NotContains(t, resp.object(t), "metadata")

		require.NoError(t, store.FreezeWrites(t.Context(), "alpha", t0.Add(10*time.Minute)))
		refresh()
		require.Equal(t, map[string]any{"key": "herd.read_only", "value": true, "reason": "TARGETING_MATCH", "variant": "on",
			"metadata": map[string]any{"herdReason": "WRITE_FREEZE", "readOnly": true,
				"detail": `a shadow migration freezes the writes of tenant "alpha": reads go on; writes wait or may be refused`}}, readOnly("alpha"))
		require.Equal(t, false, readOnly("beta")["value"], "only the frozen tenant")
		everyone := c.post("/ofrep/v1/evaluate/flags/everyone", ctxBody("alpha")).object(t)
		require.Equal(t, true, everyone["value"], "a declared flag answers as before")
		require.Equal(t, true, everyone["metadata"].(map[string]any)["readOnly"])
		require.NotContains(t, c.post("/ofrep/v1/evaluate/flags/everyone", ctxBody("beta")).object(t)["metadata"], "readOnly")

		resp = c.post("/ofrep/v1/evaluate/flags", ctxBody("alpha"), "If-None-Match", etag)
		require.Equal(t, http.StatusOK, resp.status, "the answer changed with the freeze")
		bulk := resp.object(t)
		require.Equal(t, map[string]any{"readOnly": true}, bulk["metadata"])
		flagsOut := bulk["flags"].([]any)
		last := flagsOut[len(flagsOut)-1].(map[string]any)
		require.Equal(t, "herd.read_only", last["key"])
		require.Equal(t, true, last["value"])
		for _, f := range flagsOut {
			require.Equal(t, true, f.(map[string]any)["metadata"].(map[string]any)["readOnly"], f)
		}

		// The freeze's time passes without a refresh: it holds no more.
		clk.Advance(8 * time.Minute) // t0+11m, past the freeze's t0+10m, and a new snapshot (the counter has not moved)
		require.Equal(t, false, readOnly("alpha")["value"], "a lapsed freeze")

		// Frozen again, then ended.
		require.NoError(t, store.FreezeWrites(t.Context(), "alpha", t0.Add(time.Hour)))
		refresh()
		require.Equal(t, true, readOnly("alpha")["value"])
		require.NoError(t, store.ThawWrites(t.Context(), "alpha"))
		refresh()
		require.Equal(t, false, readOnly("alpha")["value"], "the freeze ended")

		// herd.read_only needs a tenant, as every flag does.
		resp = c.post("/ofrep/v1/evaluate/flags/"+server.ReadOnlyFlag, ctxBody("nobody"))
		require.Equal(t, http.StatusBadRequest, resp.status)
		require.Equal(t, map[string]any{"key": "herd.read_only", "errorCode": "INVALID_CONTEXT",
			"errorDetails": `targetingKey "nobody" is not a registered tenant`}, resp.object(t))
	})
}
