package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/report"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// summary is a finished rollout of eight tenants: three migrated, one
// already current, two failed alike, one rolled back, one skipped.
func summary() herd.RolloutSummary {
	created := time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	finished := created.Add(95 * time.Second)
	r := herd.Rollout{ID: 7, Release: "v1.1.0", TenantVersion: "1.1.0", Selector: "tier=gold|x", Status: "completed_with_failures",
		Reason: "3 of 8 tenants failed or were rolled back", CreatedAt: created, FinishedAt: &finished}
	item := func(code, state string, attempts int, ms int64, msg string) herd.RolloutItem {
		return herd.RolloutItem{Tenant: code, WaveName: "gold", State: herd.ItemState(state), Attempts: attempts, DurationMS: ms, Error: msg}
	}
	return herd.Summarise(r, []herd.RolloutItem{
		item("alpha", "done", 1, 1200, ""),
		item("beta", "done", 1, 250, ""),
		item("gamma", "done", 2, 4000, ""),
		item("delta", "done", 0, 0, "already at v1.1.0"),
		item("eps", "failed", 1, 300, `migrate tenant "eps" v1.1.0/003_copy: statement 1: Duplicate entry '17' for key 'PRIMARY'`),
		item("zeta", "failed", 1, 310, `migrate tenant "zeta" v1.1.0/003_copy: statement 1: Duplicate entry '4' for key 'PRIMARY'`),
		item("eta", "rolled_back", 1, 9000, "rolled back to v1.0.0 (down migrations) after: timed out after 30m0s | <b>"),
		item("theta", "skipped", 0, 0, "canMigrate: release v1.1.0 lacks features the tenant has enabled: legacy_fees"),
	})
}

// Each renderer's output for the same summary, against its golden file
// (go test ./report -update rewrites them).
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, f := range report.Formats() {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, report.Render(&buf, f, summary()))
			golden := filepath.Join("testdata", "rollout."+string(f))
			if *update {
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), buf.String())
		})
	}
}

// A rollout none of whose tenants ran renders without tables to fill.
func TestRenderEmpty(t *testing.T) {
	t.Parallel()
	s := herd.Summarise(herd.Rollout{ID: 1, Release: "v1.0.0", Status: "scheduled"}, nil)
	for _, f := range report.Formats() {
		var buf bytes.Buffer
		require.NoError(t, report.Render(&buf, f, s), f)
		require.Contains(t, buf.String(), "v1.0.0", f)
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want report.Format
		err  string
	}{
		{in: "md", want: report.Markdown},
		{in: "csv", want: report.CSV},
		{in: "html", want: report.HTML},
		{in: "pdf", err: `report format "pdf": want one of md, csv, html`},
		{in: "", err: `report format "": want one of md, csv, html`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := report.ParseFormat(tc.in)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				require.True(t, herd.IsInputError(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
