package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func TestLargeTenants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  config.LargeTenants
		err   string // the whole error, when the file is not valid
	}{
		{name: "absent: nothing is large", lines: valid, want: config.LargeTenants{Concurrency: 1}},
		{name: "rows", lines: with(8, valid[7], "large_tenants: {rows: 1000000}"),
			want: config.LargeTenants{Rows: 1000000, Concurrency: 1, Line: 9}},
		{name: "bytes in GiB and a concurrency", lines: with(8, valid[7], "large_tenants:", "  bytes: 10GiB", "  concurrency: 2"),
			want: config.LargeTenants{Bytes: 10 << 30, Concurrency: 2, Line: 9}},
		{name: "bytes in decimal units with a fraction", lines: with(8, valid[7], "large_tenants: {bytes: 1.5 GB, rows: 5}"),
			want: config.LargeTenants{Rows: 5, Bytes: 1_500_000_000, Concurrency: 1, Line: 9}},
		{name: "bytes without a unit", lines: with(8, valid[7], "large_tenants: {bytes: 4096}"),
			want: config.LargeTenants{Bytes: 4096, Concurrency: 1, Line: 9}},
		{name: "neither threshold", lines: with(8, valid[7], "large_tenants: {concurrency: 1}"),
			err: "herd.yaml:9: large_tenants: set rows, bytes or both: the size at or above which a tenant is large"},
		{name: "rows not a number", lines: with(8, valid[7], "large_tenants:", "  rows: many"),
			err: "herd.yaml:10: large_tenants.rows: want a whole number such as 4, got \"many\""},
		{name: "rows zero", lines: with(8, valid[7], "large_tenants:", "  rows: 0"),
			err: "herd.yaml:10: large_tenants.rows: must be at least 1, got 0"},
		{name: "unknown unit", lines: with(8, valid[7], "large_tenants:", "  bytes: 10 GiBs"),
			err: "herd.yaml:10: large_tenants.bytes: want a size such as 10GiB, 500MB or 1073741824 (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"10 GiBs\""},
		{name: "negative bytes", lines: with(8, valid[7], "large_tenants:", "  bytes: -1GiB"),
			err: "herd.yaml:10: large_tenants.bytes: want a size such as 10GiB, 500MB or 1073741824 (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB), got \"-1GiB\""},
		{name: "bytes below one", lines: with(8, valid[7], "large_tenants:", "  bytes: 0.1"),
			err: "herd.yaml:10: large_tenants.bytes: must be at least 1 byte and at most 4EiB, got \"0.1\""},
		{name: "concurrency zero", lines: with(8, valid[7], "large_tenants:", "  rows: 10", "  concurrency: 0"),
			err: "herd.yaml:11: large_tenants.concurrency: must be at least 1, got 0"},
		{name: "unknown key", lines: with(8, valid[7], "large_tenants:", "  row: 10"),
			err: "herd.yaml:10: large_tenants: unknown key \"row\" (known: rows, bytes, concurrency, strategy)\n" +
				"herd.yaml:10: large_tenants: set rows, bytes or both: the size at or above which a tenant is large"},
		{name: "not a mapping", lines: with(8, valid[7], "large_tenants: 10GiB"),
			err: "herd.yaml:9: large_tenants: want a mapping with rows, bytes and concurrency, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if cfg := parseOrFail(t, tt.lines, tt.err); cfg != nil {
				require.Equal(t, tt.want, cfg.LargeTenants)
			}
		})
	}
}

// parseOrFail parses lines and checks the whole error is wantErr, or,
// when wantErr is "", that there is none and returns the configuration.
func parseOrFail(t *testing.T, lines []string, wantErr string) *config.Config {
	t.Helper()
	cfg, err := config.ParseEnv(yml(lines...), "", nil)
	if wantErr != "" {
		require.EqualError(t, err, wantErr)
		return nil
	}
	require.NoError(t, err)
	return cfg
}

func TestSizeClass(t *testing.T) {
	t.Parallel()
	l := config.LargeTenants{Rows: 1000, Bytes: 1 << 20}
	tests := []struct {
		name        string
		limits      config.LargeTenants
		rows, bytes int64
		analyzed    bool
		want        config.SizeClass
	}{
		{"never analysed", l, 0, 0, false, config.SizeUnknown},
		{"below both", l, 999, 1<<20 - 1, true, config.SizeSmall},
		{"at the rows threshold", l, 1000, 0, true, config.SizeLarge},
		{"at the bytes threshold", l, 0, 1 << 20, true, config.SizeLarge},
		{"rows only: bytes do not count", config.LargeTenants{Rows: 1000}, 1, 1 << 40, true, config.SizeSmall},
		{"no thresholds", config.LargeTenants{}, 1 << 40, 1 << 40, true, config.SizeSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.limits.Class(tt.rows, tt.bytes, tt.analyzed))
		})
	}
}

func TestSizeWaves(t *testing.T) {
	t.Parallel()
	waves := []string{"rollout:", "  waves:", "    - {name: small, sizes: [small, unknown]}", "    - {name: large, sizes: [large]}"}
	tests := []struct {
		name  string
		lines []string
		err   string
	}{
		{name: "large last", lines: append(with(8, valid[7], "large_tenants: {rows: 10}"), waves...)},
		{name: "large without large_tenants", lines: append(with(8, valid[7]), waves...),
			err: "herd.yaml:12: rollout.waves.large: sizes [large] selects no tenant: set large_tenants (rows or bytes) to say which tenants are large"},
		{name: "unknown class", lines: append(with(8, valid[7]), "rollout:", "  waves:", "    - {name: big, sizes: [huge]}"),
			err: "herd.yaml:11: rollout.waves.big.sizes: size class \"huge\": want large, small or unknown"},
		{name: "a class in two waves", lines: append(with(8, valid[7], "large_tenants: {rows: 10}"), "rollout:", "  waves:",
			"    - {name: a, sizes: [small]}", "    - {name: b, sizes: [small]}"),
			err: "herd.yaml:13: rollout.waves.b.sizes: size class \"small\" is already in wave \"a\""},
		{name: "sizes and tiers", lines: append(with(8, valid[7]), "rollout:", "  waves:", "    - {name: a, sizes: [small], tiers: [x]}", "    - {name: b}"),
			err: "herd.yaml:11: rollout.waves.a: select tenants by one of tenants, tiers, sizes or percent, not by tiers and sizes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if cfg := parseOrFail(t, tt.lines, tt.err); cfg != nil {
				require.Equal(t, []config.SizeClass{config.SizeSmall, config.SizeUnknown}, cfg.Rollout.Waves[0].Sizes)
				require.Equal(t, []config.SizeClass{config.SizeLarge}, cfg.Rollout.Waves[1].Sizes)
			}
		})
	}
}
