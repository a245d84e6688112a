package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// TestRunShadow runs a small shadow benchmark on each engine, each side in
// its own process, two runs (both orders), and checks the report's shape:
// RunShadow itself fails a run unless the tenant ended at v1.1.0 with
// every student backfilled exactly once, and unless the shadow migration
// sent its freeze and switch events. It asserts no timings.
func TestRunShadow(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			opts := Options{Engine: e.Name, Dialects: herdtest.Dialects(), Rows: 3000, ChunkSize: 700, Runs: 2,
				Spawn: spawnTest, Logger: herdtest.Logger(t)}
			dir := t.TempDir()
			if e.Files() {
				opts.Dir = dir
			} else {
				opts.DSN = e.ServerDSN(t)
			}
			rep, err := RunShadow(context.Background(), opts)
			require.NoError(t, err)
			require.Equal(t, 3000, rep.Rows)
			require.Equal(t, "-- herd:chunked table=students key=id size=700 target=250ms", rep.Header)
			require.True(t, rep.Isolated)
			for side, s := range map[Side]StrategyReport{InPlace: rep.InPlace, ByShadow: rep.Shadow} {
				require.Len(t, s.Runs, 2, side)
				require.Positive(t, s.Median, side)
				for _, run := range s.Runs {
					require.Positive(t, run.Reader.Statements, "%s: the reader ran during the migration", side)
					require.GreaterOrEqual(t, run.Reader.Max, run.Reader.P99, side)
					require.NotEmpty(t, run.ReadMaxDuring, side)
				}
			}
			for _, run := range rep.InPlace.Runs {
				require.Zero(t, run.Writer.Statements+run.Writer.Refused, "no writer in place")
				require.Equal(t, ShadowPhases{}, run.Phases)
			}
			for _, run := range rep.Shadow.Runs {
				require.Positive(t, run.Writer.Statements+run.Writer.Refused, "the writer ran during the shadow migration")
				p := run.Phases
				for name, d := range map[string]time.Duration{"capture": p.Capture, "copy": p.Copy, "verify": p.Verify, "migrate": p.Migrate,
					"switch": p.Switch, "write freeze": p.WriteFreeze} {
					require.Positive(t, d, name)
				}
				require.GreaterOrEqual(t, p.WriteFreeze, p.Verify+p.Migrate+p.Switch, "the freeze spans verify, migrate and switch")
				require.Positive(t, p.FreezeTries)
				require.LessOrEqual(t, run.Writer.LostBeforeSwitch, run.Writer.Lost)
				require.LessOrEqual(t, run.Writer.Lost, run.Writer.Inserted)
			}
			require.Len(t, rep.Ratios.TimeRuns, 2)
			require.Len(t, rep.Goals, 4)
			if e.Files() {
				left, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Empty(t, left, "the run's files are removed")
			}
		})
	}
}

func TestShadowOptionsRefused(t *testing.T) {
	t.Parallel()
	wired := herdtest.Dialects()
	for name, opts := range map[string]Options{
		"no rows":       {Engine: "sqlite", Rows: -1, Dialects: wired},
		"no runs":       {Engine: "sqlite", Runs: -1, Dialects: wired},
		"remote server": {Engine: "postgres", DSN: "postgres://postgres@10.0.0.5:5432/postgres", Dialects: wired},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := RunShadow(context.Background(), opts)
			require.Error(t, err)
			require.True(t, herd.IsInputError(err), "%v", err)
		})
	}
}

// summarizeShadow takes medians per strategy and ratios within each run,
// and judges the goals by the medians.
func TestSummarizeShadow(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	run := func(wall, readMax int, p ShadowPhases, lost int) StrategyRun {
		return StrategyRun{SideRun: SideRun{Wall: ms(wall)}, Reader: WriterStats{Max: ms(readMax), P99: ms(readMax / 2)}, Phases: p,
			Writer: ShadowWriterStats{Lost: lost}}
	}
	phases := func(verify, migrate, freeze int) ShadowPhases {
		return ShadowPhases{Verify: ms(verify), Migrate: ms(migrate), WriteFreeze: ms(freeze), FreezeTries: 1}
	}
	r := ShadowReport{
		InPlace: StrategyReport{Runs: []StrategyRun{run(1000, 900, ShadowPhases{}, 0), run(2000, 1000, ShadowPhases{}, 0),
			run(1500, 800, ShadowPhases{}, 0)}},
		Shadow: StrategyReport{Runs: []StrategyRun{run(2500, 40, phases(300, 400, 800), 0), run(3000, 90, phases(500, 600, 3200), 0),
			run(6000, 200, phases(400, 500, 1000), 0)}},
	}
	summarizeShadow(&r)
	require.Equal(t, ms(1500), r.InPlace.Median)
	require.Equal(t, ms(3000), r.Shadow.Median)
	require.Equal(t, ms(90), r.Shadow.ReadMax)
	require.Equal(t, ShadowPhases{Verify: ms(400), Migrate: ms(500), WriteFreeze: ms(1000), FreezeTries: 1}, r.Shadow.Phases)
	require.InDeltaSlice(t, []float64{2.5, 1.5, 4}, r.Ratios.TimeRuns, 1e-9)
	require.InDelta(t, 2.5, r.Ratios.Time, 1e-9)
	require.InDeltaSlice(t, []float64{40.0 / 900, 0.09, 0.25}, r.Ratios.ReadStallRuns, 1e-9)
	met := map[string]bool{}
	for _, g := range r.Goals {
		met[g.Goal] = g.Met
	}
	require.Equal(t, map[string]bool{
		"reads never stall over 100ms under shadow": true, // median of 40, 90, 200
		"write freeze <= 2s + verify + migrate":     true, // median of 100, 2100, 100 ms beyond
		"total time <= 3x in place":                 true,
		"no write the writer saw succeed is lost":   true,
	}, met)

	r.Shadow.Runs[0].Writer.Lost = 1
	r.Shadow.Runs[0].Phases.WriteFreeze = ms(3000) // 2300 ms beyond: the median is now 2100
	r.Shadow.Runs[0].Wall = ms(9000)               // ratios 9, 1.5, 4: median 4
	summarizeShadow(&r)
	for _, g := range r.Goals {
		require.Equal(t, g.Goal == "reads never stall over 100ms under shadow", g.Met, "%s: %s", g.Goal, g.Figure)
	}
}
