package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// monitoring is the folder of the example alert rules and dashboard.
var monitoring = filepath.Join("..", "examples", "monitoring")

// herdMetric finds the names of herd's metrics in a PromQL expression.
var herdMetric = regexp.MustCompile(`\bherd_[a-z0-9_]+\b`)

// ruleExpressions returns the expression of every rule in a Prometheus
// rules file, by rule name.
func ruleExpressions(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(data, &rules))
	out := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out[r.Alert+r.Record] = r.Expr
		}
	}
	return out
}

// dashboardPanel is a Grafana panel: its queries, and a row's panels.
type dashboardPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"`
}

// dashboardExpressions returns the query of every panel of a Grafana
// dashboard, rows' panels included, by panel title and query.
func dashboardExpressions(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var dash struct {
		Panels []dashboardPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(data, &dash))
	out := map[string]string{}
	var walk func([]dashboardPanel)
	walk = func(panels []dashboardPanel) {
		for _, p := range panels {
			for i, target := range p.Targets {
				out[p.Title+"#"+string(rune('A'+i))] = target.Expr
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return out
}

// exported reports whether the metric named in a query is in families:
// a family's name, or a histogram's series (_bucket, _sum, _count).
func exported(families map[string]*dto.MetricFamily, name string) (family string, ok bool) {
	if _, ok := families[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, cut := strings.CutSuffix(name, suffix)
		if f, ok := families[base]; cut && ok && f.GetType() == dto.MetricType_HISTOGRAM {
			return base, true
		}
	}
	return "", false
}

// Every metric the example alert rules and Grafana dashboard name is one
// herd serve exports, and every metric herd exports is on the dashboard
// or in a rule: renaming a metric breaks this test. promtool, where it is
// installed, checks the rules.
func TestMonitoringExamplesUseExportedMetrics(t *testing.T) {
	t.Parallel()
	b := newMetricsBundle(t, herdtest.Engines()[0], "metrics: {per_tenant: true}\n")
	// A step that retried on a lock and a chunked migration part-way,
	// as runs record them, so that their metrics are exported too.
	require.NoError(t, b.store.Record(b.ctx, control.TenantRef("m1"), control.Step{Migration: "v1.1.0/002_witness",
		Version: "1.1.0", Kind: "data", Direction: control.Up, Checksum: "c", Started: time.Now(), LockRetries: 2}))
	require.NoError(t, b.store.SetChunkProgress(b.ctx, control.ChunkProgress{Ref: control.TenantRef("m5"),
		Migration: "v1.1.0/002_witness", Table: "witness", LastKey: "10", Rows: 10, Share: 0.5, UpdatedAt: time.Now()}))
	families := b.scrape()

	rules := ruleExpressions(t, filepath.Join(monitoring, "alerts.yml"))
	require.NotEmpty(t, rules)
	panels := dashboardExpressions(t, filepath.Join(monitoring, "grafana-dashboard.json"))
	require.NotEmpty(t, panels)
	used := map[string]bool{}
	for where, exprs := range map[string]map[string]string{"alerts.yml": rules, "grafana-dashboard.json": panels} {
		for name, expr := range exprs {
			names := herdMetric.FindAllString(expr, -1)
			require.NotEmpty(t, names, "%s: %s names no herd metric: %s", where, name, expr)
			for _, n := range names {
				family, ok := exported(families, n)
				require.True(t, ok, "%s: %s uses %s, which herd serve does not export", where, name, n)
				used[family] = true
			}
		}
	}
	var unused []string
	for name := range families {
		if strings.HasPrefix(name, "herd_") && !used[name] {
			unused = append(unused, name)
		}
	}
	slices.Sort(unused)
	require.Empty(t, unused, "exported, but neither on the dashboard nor in a rule")

	t.Run("promtool", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			t.Skip("promtool is not on PATH (Debian's prometheus package has it): the rules' syntax is not checked")
		}
		out, err := exec.CommandContext(t.Context(), promtool, "check", "rules", filepath.Join(monitoring, "alerts.yml")).CombinedOutput()
		require.NoError(t, err, string(out))
	})
}
