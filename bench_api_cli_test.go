package herd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bench --api prints both paths' percentiles, the ratio and the goal; a
// flag of another mode is refused with exit 2 before anything is created,
// and --rate without --api.
func TestBenchAPI(t *testing.T) {
	t.Parallel()
	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		cmd, out := herdProcess(t, "bench", "--api", "--engine", "sqlite", "--tenants", "150", "--rate", "20", "--duration", "1s",
			"--runs", "1", "--dir", t.TempDir())
		require.NoError(t, cmd.Run(), out.String())
		for _, want := range []string{"herd bench --api: sqlite, 150 tenants, 20 requests/s for 1s a path, 1 runs",
			"\n/api/v1/tenants?limit=100 ", "\n/healthz ", "p99 api/floor: ", "p99 of /api/v1/tenants?limit=100 under 20ms"} {
			require.Contains(t, out.String(), want)
		}
	})
	for _, args := range [][]string{{"--api", "--rows", "10"}, {"--api", "--operation", "rollout"}, {"--api", "--concurrency", "2"},
		{"--rate", "10"}, {"--backfill", "--duration", "2s"}, {"--api", "--shadow"}, {"--api", "--rate", "-5"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			code, out := runCLI(t, append([]string{"bench", "--engine", "sqlite", "--runs", "1", "--dir", dir}, args...)...)
			require.Equal(t, 2, code, out)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing was created")
		})
	}
}
