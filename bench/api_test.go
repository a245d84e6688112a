package bench

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// TestRunAPI loads a small fleet's API on each engine for one second a
// path, two runs (both orders), and checks the report's shape: every
// request answered 200 (RunAPI also checked that the page holds 100
// tenants) and the figures are ordered. It asserts no timings.
func TestRunAPI(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			opts := Options{Engine: e.Name, Dialects: herdtest.Dialects(), Tenants: 300, Rate: 50, Duration: time.Second, Runs: 2,
				Logger: herdtest.Logger(t)}
			if e.Files() {
				opts.Dir = t.TempDir()
			} else {
				opts.DSN = e.ServerDSN(t)
			}
			rep, err := RunAPI(context.Background(), opts)
			require.NoError(t, err)
			require.Equal(t, 300, rep.Tenants)
			require.Len(t, rep.P99Ratios, 2)
			for _, s := range []LoadReport{rep.API, rep.Floor} {
				require.Len(t, s.Runs, 2, s.Path)
				for _, run := range s.Runs {
					require.Equal(t, 50, run.Requests, s.Path)
					require.Zero(t, run.Errors, "%s: %s", s.Path, run.FirstError)
					require.Positive(t, run.P50, s.Path)
					require.GreaterOrEqual(t, run.P95, run.P50, s.Path)
					require.GreaterOrEqual(t, run.P99, run.P95, s.Path)
					require.GreaterOrEqual(t, run.Max, run.P99, s.Path)
				}
			}
			require.Positive(t, rep.P99Ratio)
		})
	}
}

// RunAPI refuses a rate or a duration out of bounds before it builds
// anything.
func TestAPIOptionsRefused(t *testing.T) {
	t.Parallel()
	for _, opts := range []Options{
		{Engine: "sqlite", Rate: -1},
		{Engine: "sqlite", Rate: 20_000},
		{Engine: "sqlite", Duration: time.Millisecond},
		{Engine: "sqlite", Duration: 2 * time.Hour},
		{Engine: "nope"},
	} {
		opts.Dialects = herdtest.Dialects()
		_, err := RunAPI(context.Background(), opts)
		require.True(t, herd.IsInputError(err), "%+v: %v", opts, err)
	}
}

// summarizeAPI takes the medians of the runs' percentiles and judges the
// goal on the API's median p99, failing it on any error.
func TestSummarizeAPI(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	r := APIReport{
		API: LoadReport{Runs: []LoadStats{{P50: 2 * ms, P95: 4 * ms, P99: 9 * ms, Max: 30 * ms}, {P50: 3 * ms, P95: 5 * ms, P99: 12 * ms, Max: 20 * ms},
			{P50: 1 * ms, P95: 3 * ms, P99: 25 * ms, Max: 40 * ms}}},
		Floor: LoadReport{Runs: []LoadStats{{P50: ms, P99: 3 * ms}, {P50: ms, P99: 4 * ms}, {P50: ms, P99: 5 * ms}}},
	}
	summarizeAPI(&r)
	require.Equal(t, 2*ms, r.API.P50)
	require.Equal(t, 4*ms, r.API.P95)
	require.Equal(t, 12*ms, r.API.P99)
	require.Equal(t, 30*ms, r.API.Max)
	require.Equal(t, []float64{3, 3, 5}, r.P99Ratios)
	require.Equal(t, 3.0, r.P99Ratio)
	require.True(t, r.Met)
	r.Floor.Runs[1].Errors = 1
	summarizeAPI(&r)
	require.False(t, r.Met, "a failed request fails the goal")
}
