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

// TestRunBackfill runs a small backfill benchmark on each engine, each
// side in its own process, and checks the report's shape; RunBackfill
// itself fails a run unless each side changed every row exactly once. It
// asserts no timings.
func TestRunBackfill(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			opts := Options{Engine: e.Name, Dialects: herdtest.Dialects(), Rows: 5000, ChunkSize: 700, Runs: 1,
				Spawn: spawnTest, Logger: herdtest.Logger(t)}
			dir := t.TempDir()
			if e.Files() {
				opts.Dir = dir
			} else {
				opts.DSN = e.ServerDSN(t)
			}
			rep, err := RunBackfill(context.Background(), opts)
			require.NoError(t, err)
			require.Equal(t, 5000, rep.Rows)
			require.Equal(t, "-- herd:chunked table=students key=id size=700 target=250ms", rep.Header)
			require.True(t, rep.Isolated)
			for side, s := range map[Side]BackfillSideReport{Floor: rep.Floor, Herd: rep.Herd, Offset: rep.Offset} {
				require.Len(t, s.Runs, 1, side)
				require.Positive(t, s.Median, side)
				require.Positive(t, s.RowsPerSecond, side)
				require.Positive(t, s.Runs[0].Writer.Statements, "%s: the writer ran during the section", side)
				require.GreaterOrEqual(t, s.WriterMax, s.WriterP99, side)
				require.GreaterOrEqual(t, s.WriterP99, s.WriterP50, side)
			}
			require.Len(t, rep.ThroughputRatios, 1)
			require.Len(t, rep.SpeedupRatios, 1)
			if e.Files() {
				left, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Empty(t, left, "the run's files are removed")
			}
		})
	}
}

func TestBackfillOptionsRefused(t *testing.T) {
	t.Parallel()
	wired := herdtest.Dialects()
	for name, opts := range map[string]Options{
		"no rows":        {Engine: "sqlite", Rows: -1, Dialects: wired},
		"chunk too big":  {Engine: "sqlite", ChunkSize: 2_000_000, Dialects: wired},
		"negative pause": {Engine: "sqlite", Pause: -time.Second, Dialects: wired},
		"remote server":  {Engine: "mysql", DSN: "mysql://root@10.0.0.5:3306/test", Dialects: wired},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := RunBackfill(context.Background(), opts)
			require.Error(t, err)
			require.True(t, herd.IsInputError(err), "%v", err)
		})
	}
}

func TestFillSQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rows int
		want string
	}{
		{1, "INSERT INTO students (id, name, grade) SELECT n, 'student', n % 12 FROM (SELECT 1 * a0.d + 1 AS n FROM digits a0) s WHERE n <= 1"},
		{10, "INSERT INTO students (id, name, grade) SELECT n, 'student', n % 12 FROM (SELECT 1 * a0.d + 1 AS n FROM digits a0) s WHERE n <= 10"},
		{11, "INSERT INTO students (id, name, grade) SELECT n, 'student', n % 12 FROM (SELECT 1 * a0.d + 10 * a1.d + 1 AS n FROM digits a0, digits a1) s WHERE n <= 11"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, fillSQL(tt.rows), tt.rows)
	}
}

func TestWriterStats(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	s := writerStats(lat, nil)
	require.Equal(t, WriterStats{Statements: 100, P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}, s)
	require.Equal(t, WriterStats{}, writerStats(nil, nil))
}

func TestSummarizeBackfill(t *testing.T) {
	t.Parallel()
	runs := func(walls ...time.Duration) BackfillSideReport {
		var s BackfillSideReport
		for _, w := range walls {
			s.Runs = append(s.Runs, BackfillRun{SideRun: SideRun{Wall: w}, Writer: WriterStats{P50: w / 100, P99: w / 10, Max: w}})
		}
		return s
	}
	r := BackfillReport{Rows: 1000, Floor: runs(time.Second, 2*time.Second, 4*time.Second),
		Herd: runs(2*time.Second, 2*time.Second, 5*time.Second), Offset: runs(6*time.Second, 10*time.Second, 10*time.Second)}
	summarizeBackfill(&r)
	require.InDeltaSlice(t, []float64{0.5, 1, 0.8}, r.ThroughputRatios, 1e-9)
	require.InDelta(t, 0.8, r.Throughput, 1e-9)
	require.InDeltaSlice(t, []float64{3, 5, 2}, r.SpeedupRatios, 1e-9)
	require.InDelta(t, 3, r.Speedup, 1e-9)
	require.Equal(t, 2*time.Second, r.Herd.Median)
	require.InDelta(t, 500, r.Herd.RowsPerSecond, 1e-9)
	require.Equal(t, 200*time.Millisecond, r.Herd.WriterP99)
	require.Equal(t, 2*time.Second, r.Herd.WriterMax)
}
