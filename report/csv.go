package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/herdhq/herd"
)

// writeCSV writes s as CSV: one long table whose section column says
// what a row is, so that a spreadsheet can filter it. The rows are the
// rollout's facts, the outcomes, the durations (ms), the slowest tenants
// (ms; detail: wave and outcome), then the errors and skip reasons
// (value: how many tenants; detail: the first herd.CauseTenants of
// them, space-separated, and how many more).
func writeCSV(w io.Writer, s herd.RolloutSummary) error {
	c := csv.NewWriter(w)
	r := s.Rollout
	rows := [][]string{{"section", "name", "value", "detail"},
		{"rollout", "id", strconv.FormatInt(r.ID, 10), ""},
		{"rollout", "release", r.Release, ""},
		{"rollout", "tenant_version", r.TenantVersion, ""},
		{"rollout", "status", string(r.Status), r.Reason},
		{"rollout", "selector", r.Selector, ""},
		{"rollout", "created_at", r.CreatedAt.UTC().Format(time.RFC3339), ""},
	}
	if r.FinishedAt != nil {
		rows = append(rows, []string{"rollout", "finished_at", r.FinishedAt.UTC().Format(time.RFC3339), ""})
	}
	for _, o := range outcomes(s) {
		rows = append(rows, []string{"tenants", o.Name, strconv.Itoa(o.Count), ""})
	}
	d := s.Durations
	rows = append(rows,
		[]string{"duration", "count", strconv.Itoa(d.Count), ""},
		[]string{"duration", "p50_ms", ms(d.P50), ""},
		[]string{"duration", "p95_ms", ms(d.P95), ""},
		[]string{"duration", "max_ms", ms(d.Max), ""})
	for _, t := range s.Slowest {
		rows = append(rows, []string{"slowest", t.Tenant, ms(t.Duration), t.Wave + " " + string(t.State)})
	}
	for _, sec := range []struct {
		name   string
		causes []herd.Cause
	}{{"error", s.Errors}, {"skip", s.Skips}} {
		for _, g := range sec.causes {
			rows = append(rows, []string{sec.name, g.Text, strconv.Itoa(g.Count), strings.Join(g.Tenants, " ") + more(g)})
		}
	}
	return c.WriteAll(rows) // it flushes, and returns the writer's error
}

// ms renders d in whole milliseconds.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
