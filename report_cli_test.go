package herd_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// herd report rollout on every engine: a rollout in which two tenants are
// rolled back for the same cause, one fails (it had no version to go back
// to) and one is skipped by canMigrate; the report's counts, durations,
// slowest tenants and causes agree with the control database.
func TestReportRollout(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, waveSource())
		b.scratch.WriteConfig(t, b.scratch.Config(`releases:
  v1.0.0: {features: [attendance, legacy_fees]}
  v1.1.0: {features: [fees], removes: [legacy_fees]}
rollout:
  concurrency: 2
  failure_budget: 10
`))
		b.reopen()
		run := cliAt(t, b.scratch.ConfigPath)
		for _, code := range []string{"ok_1", "ok_2", "ok_3", "poison_1", "poison_2"} {
			run(0, "tenant", "add", code, "--features", "attendance")
		}
		run(0, "tenant", "add", "old", "--features", "attendance,legacy_fees")
		run(0, "migrate", "--all", "--to", "v1.0.0")
		for i, code := range []string{"poison_1", "poison_2"} {
			require.NoError(t, b.exec(code, fmt.Sprintf("INSERT INTO t (id, v) VALUES (%d, 1), (%d, 2)", 40+i, 40+i)))
		}
		run(0, "tenant", "add", "fresh", "--features", "attendance")
		require.NoError(t, b.exec("fresh", "CREATE TABLE u (id INT)"))

		run(1, "rollout", "start", "--to", "v1.1.0")
		rollouts, err := b.control().Rollouts(b.ctx)
		require.NoError(t, err)
		id := rollouts[len(rollouts)-1].ID
		items, err := b.control().Items(b.ctx, id)
		require.NoError(t, err)
		states := map[string]control.ItemState{}
		for _, it := range items {
			states[it.Tenant] = it.State
		}
		require.Equal(t, map[string]control.ItemState{"ok_1": "done", "ok_2": "done", "ok_3": "done", "poison_1": "rolled_back",
			"poison_2": "rolled_back", "fresh": "failed", "old": "skipped"}, states)

		out := filepath.Join(t.TempDir(), "report.csv")
		run(0, "report", "rollout", strconv.FormatInt(id, 10), "--format", "csv", "--output", out)
		rows := readReportCSV(t, out)
		require.Equal(t, []string{"3"}, rows["tenants/migrated"])
		require.Equal(t, []string{"1"}, rows["tenants/failed"])
		require.Equal(t, []string{"2"}, rows["tenants/rolled back"])
		require.Equal(t, []string{"1"}, rows["tenants/skipped"])
		require.Equal(t, []string{"7"}, rows["tenants/total"])

		// The durations, worked out here from the control database.
		var ran []int64
		for _, it := range items {
			if it.Terminal() && it.Attempts > 0 {
				ran = append(ran, it.DurationMS)
			}
		}
		slices.Sort(ran)
		require.Len(t, ran, 6, "three migrated, two rolled back, one failed")
		require.Equal(t, []string{"6"}, rows["duration/count"])
		require.Equal(t, []string{strconv.FormatInt(ran[2], 10)}, rows["duration/p50_ms"], "nearest rank: the 3rd of 6")
		require.Equal(t, []string{strconv.FormatInt(ran[5], 10)}, rows["duration/p95_ms"], "nearest rank: the 6th of 6")
		require.Equal(t, []string{strconv.FormatInt(ran[5], 10)}, rows["duration/max_ms"])
		slowest := 0
		for key, v := range rows {
			if strings.HasPrefix(key, "slowest/") {
				slowest++
				it := items[slices.IndexFunc(items, func(it control.Item) bool { return it.Tenant == strings.TrimPrefix(key, "slowest/") })]
				require.Equal(t, strconv.FormatInt(it.DurationMS, 10), v[0], key)
			}
		}
		require.Equal(t, 6, slowest, "every tenant that ran, no more than 10")

		var causes []string
		for key, v := range rows {
			if strings.HasPrefix(key, "error/") {
				causes = append(causes, v[0]+" "+v[1])
			}
		}
		slices.Sort(causes)
		require.Equal(t, []string{"1 fresh", "2 poison_1 poison_2"}, causes, "the two rolled back for one cause are one group")
		require.Equal(t, []string{"1", "old"}, rows["skip/canMigrate: release v1.1.0 lacks features the tenant has enabled: legacy_fees"])

		for _, format := range []string{"md", "html"} {
			out := run(0, "report", "rollout", strconv.FormatInt(id, 10), "--format", format)
			require.Contains(t, out, fmt.Sprintf("Rollout %d: v1.1.0", id), format)
			require.Contains(t, out, "poison_1, poison_2", format)
		}
		require.Contains(t, run(2, "report", "rollout", strconv.FormatInt(id+1, 10)), fmt.Sprintf("rollout %d", id+1))
		require.Contains(t, run(2, "report", "rollout", "--format", "pdf"), `report format "pdf"`)
		missing := filepath.Join(t.TempDir(), "no-such-folder", "r.md")
		require.Contains(t, run(2, "report", "rollout", "--output", missing), "--output: open "+missing)
	})
}

// readReportCSV reads a CSV report into its rows by section/name, each
// with its value and detail.
func readReportCSV(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"section", "name", "value", "detail"}, records[0])
	rows := map[string][]string{}
	for _, r := range records[1:] {
		rows[r[0]+"/"+r[1]] = r[2:]
		if r[0] == "tenants" || r[0] == "duration" {
			rows[r[0]+"/"+r[1]] = r[2:3]
		}
	}
	return rows
}
