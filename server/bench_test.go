package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/server"
)

// benchFlags declares 20 flags with a mix of rules: version gates, tiers,
// beta tenants and percentages.
func benchFlags() string {
	var b strings.Builder
	b.WriteString("flags:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  feature_%02d:\n    required_version: %s\n    rollout_percentage: %d\n",
			i, []string{"1.0.0", "1.1.0", "2.0.0"}[i%3], (i*7)%101)
		if i%4 == 0 {
			b.WriteString("    enabled_for: [standard, premium]\n")
		}
		if i%5 == 0 {
			b.WriteString("    beta_tenants: [trust_003]\n")
		}
	}
	return b.String()
}

// benchHandler serves a fleet of 20 tenants at 2.0.0 with benchFlags.
func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	tenants := map[string]string{}
	for i := range 20 {
		tenants[fmt.Sprintf("trust_%03d", i)] = ""
	}
	fleet := openFleet(b, benchFlags(), tenants)
	require.NoError(b, fleet.MigrateAll(context.Background(), "", 4))
	return server.New(fleet, server.Options{})
}

// BenchmarkEvaluateFlag is one single-flag OFREP evaluation through the
// handler: body decoding, the snapshot, evaluation and the JSON answer.
func BenchmarkEvaluateFlag(b *testing.B) {
	benchPost(b, "/ofrep/v1/evaluate/flags/feature_07")
}

// BenchmarkEvaluateFlagsBulk is one bulk OFREP evaluation of 20 flags
// through the handler, with its ETag.
func BenchmarkEvaluateFlagsBulk(b *testing.B) {
	benchPost(b, "/ofrep/v1/evaluate/flags")
}

// benchPost posts an evaluation for trust_007 to path, in parallel.
func benchPost(b *testing.B, path string) {
	h := benchHandler(b)
	body := `{"context": {"targetingKey": "trust_007"}}`
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkMetricsRefresh is one scrape of /metrics that refreshes from
// a SQLite control database whose history holds 10,000 rows (200
// databases of 50 steps): catch-up reads the whole history, as a server
// does once when it starts; steady reads the history after its last row
// and finds nothing new, as every later refresh of a quiet fleet does.
func BenchmarkMetricsRefresh(b *testing.B) {
	fleet, scratch := openFleetOn(b, herdtest.Engines()[0], "", nil)
	store := scratch.Control(b)
	ctx := context.Background()
	started := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for db := range 200 {
		steps := make([]control.Step, 50)
		for i := range steps {
			steps[i] = control.Step{Migration: fmt.Sprintf("v1.%d.0/%03d_step", i/10, i), Version: fmt.Sprintf("1.%d.0", i/10),
				Kind: "schema", Direction: control.Up, Checksum: "sum", Started: started, Duration: time.Duration(i+1) * time.Millisecond}
		}
		require.NoError(b, store.Finish(ctx, control.TenantRef(fmt.Sprintf("bench_%03d", db)), control.Outcome{Current: "1.4.0", Steps: steps, Actor: "bench", Detail: "bench"}))
	}
	scrape := func(h http.Handler) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.Run("catch-up", func(b *testing.B) {
		for b.Loop() {
			scrape(server.New(fleet, server.Options{}))
		}
	})
	b.Run("steady", func(b *testing.B) {
		clock := herdtest.NewClock(started)
		h := server.New(fleet, server.Options{Now: clock.Now, RefreshEvery: time.Second})
		scrape(h)
		for b.Loop() {
			clock.Set(clock.Now().Add(time.Second))
			scrape(h)
		}
	})
}
