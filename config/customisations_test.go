package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func TestCustomisations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  config.Customisations
		err   string // the whole error, when the file is not valid
	}{
		{name: "absent", lines: valid},
		{name: "every scope", lines: with(8, valid[7],
			"customisations:",
			`  all: [{table: "custom_*"}, {column: "*.x_*"}]`,
			"  tiers: {enterprise: [{view: report_*}, {index: students.*}]}",
			"  tenants:",
			"    st_marys: [{column: students.house_colour}]"),
			want: config.Customisations{
				All: []config.Customisation{{Object: "table", Pattern: "custom_*", Scope: "all", Line: 10},
					{Object: "column", Pattern: "*.x_*", Scope: "all", Line: 10}},
				Tiers: map[string][]config.Customisation{"enterprise": {{Object: "view", Pattern: "report_*", Scope: "tier enterprise", Line: 11},
					{Object: "index", Pattern: "students.*", Scope: "tier enterprise", Line: 11}}},
				Tenants: map[string][]config.Customisation{"st_marys": {{Object: "column", Pattern: "students.house_colour",
					Scope: "tenant st_marys", Line: 13}}},
				TenantLines: map[string]int{"st_marys": 13},
			}},
		{name: "unknown rule key", lines: with(8, valid[7], "customisations:", "  all: [{tabel: custom_*}]"),
			err: "herd.yaml:10: customisations.all: unknown key \"tabel\" (known: table, column, primary_key, index, foreign_key, check, view)"},
		{name: "two keys in a rule", lines: with(8, valid[7], "customisations:", "  all: [{table: a, view: b}]"),
			err: "herd.yaml:10: customisations.all: a rule has exactly one key (one of table, column, primary_key, index, foreign_key, check, view)"},
		{name: "bad pattern", lines: with(8, valid[7], "customisations:", "  all: [{table: \"custom_[\"}]"),
			err: "herd.yaml:10: customisations.all.table: bad pattern \"custom_[\" (want a name with * and ? wildcards)"},
		{name: "column without its table", lines: with(8, valid[7], "customisations:", "  tenants: {a: [{column: x_*}]}"),
			err: "herd.yaml:10: customisations.tenants.a.column: pattern \"x_*\" names no table: write TABLE.NAME, as in students.x_*"},
		{name: "unknown scope", lines: with(8, valid[7], "customisations:", "  tier: {}"),
			err: "herd.yaml:10: customisations: unknown key \"tier\" (known: all, tiers, tenants)"},
		{name: "not a list", lines: with(8, valid[7], "customisations:", "  all: {table: x}"),
			err: "herd.yaml:10: customisations.all: want a list of rules such as {table: \"custom_*\"}, got a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if cfg := parseOrFail(t, tt.lines, tt.err); cfg != nil {
				require.Equal(t, tt.want, cfg.Customisations)
			}
		})
	}
}

func TestCustomisationsFor(t *testing.T) {
	c := config.Customisations{
		All:     []config.Customisation{{Object: "table", Pattern: "a"}},
		Tiers:   map[string][]config.Customisation{"gold": {{Object: "table", Pattern: "b"}}},
		Tenants: map[string][]config.Customisation{"x": {{Object: "table", Pattern: "c"}}},
	}
	patterns := func(rules []config.Customisation) (out []string) {
		for _, r := range rules {
			out = append(out, r.Pattern)
		}
		return out
	}
	require.Equal(t, []string{"a", "b", "c"}, patterns(c.For("gold", "x")))
	require.Equal(t, []string{"a"}, patterns(c.For("silver", "y")))
}

func TestOnConflict(t *testing.T) {
	t.Parallel()
	cfg := parseOrFail(t, valid, "")
	require.Equal(t, config.ConflictRefuse, cfg.OnConflict, "the default")
	cfg = parseOrFail(t, with(8, valid[7], "on_conflict: skip"), "")
	require.Equal(t, config.ConflictSkip, cfg.OnConflict)
	cfg = parseOrFail(t, with(8, valid[7], "on_conflict: adopt_identical"), "")
	require.Equal(t, config.ConflictAdoptIdentical, cfg.OnConflict)
	parseOrFail(t, with(8, valid[7], "on_conflict: ignore"), "herd.yaml:9: on_conflict: unknown answer \"ignore\" (want refuse, adopt_identical or skip)")
}
