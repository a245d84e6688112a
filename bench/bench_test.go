package bench

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// sideEnv makes the test binary act as a side process (see spawnTest).
const sideEnv = "HERD_BENCH_TEST_SIDE"

func TestMain(m *testing.M) {
	if os.Getenv(sideEnv) == "1" {
		if err := ServeSide(context.Background(), os.Stdin, os.Stdout, herdtest.Dialects()); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// spawnTest starts this test binary as a side process.
func spawnTest(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), sideEnv+"=1")
	return cmd
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{7}, 7},
		{"odd, unsorted", []time.Duration{9, 1, 5}, 5},
		{"even: mean of the middle two", []time.Duration{4, 1, 10, 2}, 3},
		{"an outlier does not move it", []time.Duration{10, 11, 1000}, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			require.Equal(t, tt.want, median(tt.in))
			require.Equal(t, in, tt.in, "median must not reorder its input")
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	runs := func(walls ...time.Duration) []SideRun {
		out := make([]SideRun, len(walls))
		for i, w := range walls {
			out[i] = SideRun{Wall: w, CPU: w / 2, PeakRSS: int64(i+1) << 20, WriteCalls: int64(w / time.Second)}
		}
		return out
	}
	tests := []struct {
		name             string
		tenants          int
		herd, floor      []time.Duration
		wantRatios       []float64
		wantRatio        float64
		wantOfMedians    float64
		wantHerdTPS      float64
		wantFloorMedian  time.Duration
		wantHerdPeak     int64
		wantHerdMeanCPU  time.Duration
		wantFloorTPS     float64
		wantHerdMedian   time.Duration
		wantFloorMeanCPU time.Duration
		wantCPURatio     float64
	}{
		{
			name: "three runs", tenants: 100,
			herd:  []time.Duration{11 * time.Second, 10 * time.Second, 12 * time.Second},
			floor: []time.Duration{10 * time.Second, 10 * time.Second, 8 * time.Second},
			// 1.1, 1.0, 1.5: the median is 1.1; the medians are 11s and 10s.
			wantRatios: []float64{1.1, 1.0, 1.5}, wantRatio: 1.1, wantOfMedians: 1.1,
			wantHerdMedian: 11 * time.Second, wantFloorMedian: 10 * time.Second,
			wantHerdTPS: 100.0 / 11, wantFloorTPS: 10,
			wantHerdPeak: 3 << 20, wantHerdMeanCPU: 5500 * time.Millisecond, wantFloorMeanCPU: 4666666666,
			wantCPURatio: 5.5 / 4.666666666,
		},
		{
			name: "paired ratios differ from the ratio of medians", tenants: 10,
			herd:  []time.Duration{2 * time.Second, 4 * time.Second},
			floor: []time.Duration{1 * time.Second, 4 * time.Second},
			// 2.0 and 1.0: median 1.5; medians 3s and 2.5s: 1.2.
			wantRatios: []float64{2, 1}, wantRatio: 1.5, wantOfMedians: 1.2,
			wantHerdMedian: 3 * time.Second, wantFloorMedian: 2500 * time.Millisecond,
			wantHerdTPS: 10.0 / 3, wantFloorTPS: 4,
			wantHerdPeak: 2 << 20, wantHerdMeanCPU: 1500 * time.Millisecond, wantFloorMeanCPU: 1250 * time.Millisecond,
			wantCPURatio: 1.2,
		},
		{
			name: "a zero floor gives no ratio rather than infinity", tenants: 1,
			herd: []time.Duration{time.Second}, floor: []time.Duration{0},
			wantRatios: []float64{0}, wantRatio: 0, wantOfMedians: 0,
			wantHerdMedian: time.Second, wantHerdTPS: 1, wantFloorTPS: 0,
			wantHerdPeak: 1 << 20, wantHerdMeanCPU: 500 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Report{Tenants: tt.tenants, Herd: SideReport{Runs: runs(tt.herd...)}, Floor: SideReport{Runs: runs(tt.floor...)}}
			summarize(&r)
			require.InDeltaSlice(t, tt.wantRatios, r.RunRatios, 1e-9)
			require.InDelta(t, tt.wantRatio, r.Ratio, 1e-9)
			require.InDelta(t, tt.wantOfMedians, r.RatioOfMedians, 1e-9)
			require.Equal(t, tt.wantHerdMedian, r.Herd.Median)
			require.Equal(t, tt.wantFloorMedian, r.Floor.Median)
			require.InDelta(t, tt.wantHerdTPS, r.Herd.TenantsPerSecond, 1e-9)
			require.InDelta(t, tt.wantFloorTPS, r.Floor.TenantsPerSecond, 1e-9)
			require.Equal(t, tt.wantHerdPeak, r.Herd.PeakRSS)
			require.Equal(t, tt.wantHerdMeanCPU, r.Herd.CPU)
			require.Equal(t, tt.wantFloorMeanCPU, r.Floor.CPU)
			require.InDelta(t, tt.wantCPURatio, r.CPURatio, 1e-9)
			var writes float64
			for _, w := range tt.herd {
				writes += float64(w / time.Second)
			}
			require.InDelta(t, writes/float64(len(tt.herd))/float64(tt.tenants), r.Herd.WritesPerTenant, 1e-9)
		})
	}
}

func TestProcFields(t *testing.T) {
	t.Parallel()
	got := procFields([]byte("Name:\tbench\nVmHWM:\t  123456 kB\nsyscw: 42\nbad line\nState:\tR (running)\n"))
	require.Equal(t, map[string]int64{"VmHWM": 123456, "syscw": 42}, got)
}

func TestOptionsRefused(t *testing.T) {
	t.Parallel()
	wired := herdtest.Dialects()
	tests := []struct {
		name string
		opts Options
	}{
		{"nothing wired", Options{Engine: "sqlite"}},
		{"unknown engine", Options{Engine: "oracle", Dialects: wired}},
		{"no tenants", Options{Engine: "sqlite", Tenants: -1, Dialects: wired}},
		{"no runs", Options{Engine: "sqlite", Runs: -3, Dialects: wired}},
		{"no concurrency", Options{Engine: "sqlite", Concurrency: -1, Dialects: wired}},
		{"unknown operation", Options{Engine: "sqlite", Operation: "sideways", Dialects: wired}},
		{"a dsn for sqlite", Options{Engine: "sqlite", DSN: "postgres://127.0.0.1/x", Dialects: wired}},
		{"no dsn for a server", Options{Engine: "postgres", Dialects: wired}},
		{"a remote server", Options{Engine: "postgres", DSN: "postgres://postgres@db.example.com:5432/postgres", Dialects: wired}},
		{"a remote mysql", Options{Engine: "mysql", DSN: "mysql://root@10.0.0.5:3306/test", Dialects: wired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.opts)
			require.Error(t, err)
			require.True(t, herd.IsInputError(err), "%v", err)
		})
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"postgres://postgres@127.0.0.1:5432/postgres", "mysql://root@localhost:3306/test",
		"postgres://u:p@[::1]:5432/x", "mysql://root@127.0.0.2/test"} {
		require.NoError(t, checkLoopback(dsn), dsn)
	}
}

// TestRunSQLite builds, times and drops a small fleet, in this process and
// with each side in its own, and checks the report's shape and that
// nothing is left behind. It asserts no timings.
func TestRunSQLite(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		spawn func(context.Context) *exec.Cmd
	}{{"in process", nil}, {"side processes", spawnTest}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			profiles := filepath.Join(dir, "profiles") // made by Run
			rep, err := Run(context.Background(), Options{Engine: "sqlite", Dialects: herdtest.Dialects(), Tenants: 3, Runs: 2, Concurrency: 2,
				Dir: dir, Spawn: tt.spawn, ProfileDir: profiles, Logger: herdtest.Logger(t)})
			require.NoError(t, err)
			require.Equal(t, tt.spawn != nil, rep.Isolated)
			require.Len(t, rep.Herd.Runs, 2)
			require.Len(t, rep.Floor.Runs, 2)
			require.Len(t, rep.RunRatios, 2)
			require.Positive(t, rep.Herd.Median)
			require.Positive(t, rep.Floor.Median)
			require.Positive(t, rep.Ratio)
			left, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, left, 1, "only the profiles stay")
			made, err := os.ReadDir(profiles)
			require.NoError(t, err)
			for _, e := range made {
				require.Regexp(t, `^sqlite-(herd|floor)-run[12]\.pprof$`, e.Name())
			}
			require.Len(t, made, 4)
		})
	}
}

// TestRunOperations times each operation once on a tiny SQLite fleet: the
// herd side fails the run unless its migration or rollout ends where the
// operation goes, and the floor's unless its scripts apply.
func TestRunOperations(t *testing.T) {
	t.Parallel()
	for _, op := range Operations() {
		t.Run(string(op), func(t *testing.T) {
			t.Parallel()
			rep, err := Run(context.Background(), Options{Engine: "sqlite", Dialects: herdtest.Dialects(), Operation: op, Tenants: 2, Runs: 1,
				Concurrency: 2, Dir: t.TempDir(), Logger: herdtest.Logger(t)})
			require.NoError(t, err)
			require.Equal(t, op, rep.Operation)
			require.Len(t, rep.RunRatios, 1)
		})
	}
}

// TestRunServers runs a tiny benchmark of each operation on each real
// server whose DSN is set, and checks that it drops what it made.
func TestRunServers(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Files() || e.SchemaPerTenant() {
			continue
		}
		for _, op := range Operations() {
			t.Run(e.Label+"/"+string(op), func(t *testing.T) {
				t.Parallel()
				rep, err := Run(context.Background(), Options{Engine: e.Name, Dialects: herdtest.Dialects(), Operation: op, DSN: e.ServerDSN(t), Tenants: 2,
					Runs: 1, Concurrency: 2, Spawn: spawnTest, Logger: herdtest.Logger(t)})
				require.NoError(t, err)
				require.Len(t, rep.RunRatios, 1)
			})
		}
	}
}

var benchTenants = flag.Int("bench.tenants", 50, "tenants per fleet in BenchmarkMigrateFleet")

// BenchmarkMigrateFleet times herd and the floor on a SQLite fleet of
// -bench.tenants tenants, once per iteration, and reports the median ratio
// of herd's wall time to the floor's, and both sides' tenants/s. ns/op
// includes building and dropping the fleets; the metrics do not.
//
//	go test ./bench -run '^$' -bench MigrateFleet -bench.tenants 200
func BenchmarkMigrateFleet(b *testing.B) {
	var total Report
	for b.Loop() {
		rep, err := Run(context.Background(), Options{Engine: "sqlite", Dialects: herdtest.Dialects(), Tenants: *benchTenants, Runs: 1, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		total.Herd.Runs = append(total.Herd.Runs, rep.Herd.Runs...)
		total.Floor.Runs = append(total.Floor.Runs, rep.Floor.Runs...)
	}
	total.Tenants = *benchTenants
	summarize(&total)
	b.ReportMetric(total.Ratio, "ratio")
	b.ReportMetric(total.Herd.TenantsPerSecond, "herd-tenants/s")
	b.ReportMetric(total.Floor.TenantsPerSecond, "floor-tenants/s")
}
