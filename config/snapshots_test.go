package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

const day = 24 * time.Hour

// rollout.snapshots is either the policy alone, as herd.yaml files have
// always written it, or a mapping with the policy and the retention.
func TestParseSnapshots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		lines  []string
		when   string
		retain config.Retention
	}{
		{"default", valid, config.SnapshotsBreaking, config.Retention{Age: 7 * day}},
		{"policy alone", plus("rollout: {snapshots: always}"), config.SnapshotsAlways, config.Retention{Age: 7 * day}},
		{"older snapshot_retention", plus("rollout: {snapshots: never, snapshot_retention: 48h}"), config.SnapshotsNever, config.Retention{Age: 48 * time.Hour}},
		{"older snapshot_retention 0 keeps all", plus("rollout: {snapshot_retention: 0}"), config.SnapshotsBreaking, config.Retention{}},
		{"older snapshot_retention in days", plus("rollout: {snapshot_retention: 14d}"), config.SnapshotsBreaking, config.Retention{Age: 14 * day}},
		{"mapping", plus("rollout:", "  snapshots:", "    when: always", "    retain: {count: 3, age: 30d}"),
			config.SnapshotsAlways, config.Retention{Count: 3, Age: 30 * day}},
		{"when alone keeps the default retention", plus("rollout: {snapshots: {when: never}}"), config.SnapshotsNever, config.Retention{Age: 7 * day}},
		{"retain alone keeps the default policy", plus("rollout: {snapshots: {retain: {count: 1}}}"), config.SnapshotsBreaking, config.Retention{Count: 1}},
		{"age as a duration", plus("rollout: {snapshots: {retain: {age: 36h}}}"), config.SnapshotsBreaking, config.Retention{Age: 36 * time.Hour}},
		{"empty retain keeps every snapshot", plus("rollout: {snapshots: {retain: {}}}"), config.SnapshotsBreaking, config.Retention{}},
		{"null retain keeps the default", plus("rollout: {snapshots: {when: always, retain: ~}}"), config.SnapshotsAlways, config.Retention{Age: 7 * day}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(tt.lines...), "", nil)
			require.NoError(t, err)
			require.Equal(t, tt.when, cfg.Rollout.Snapshots)
			require.Equal(t, tt.retain, cfg.Rollout.SnapshotRetention)
		})
	}
}

func TestParseSnapshotsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  string // the whole error
	}{
		{"bad policy in the mapping", plus("rollout:", "  snapshots: {when: sometimes}"),
			"herd.yaml:10: rollout.snapshots.when: want always, breaking or never, got \"sometimes\""},
		{"snapshots as a list", plus("rollout:", "  snapshots: [always]"),
			"herd.yaml:10: rollout.snapshots: want always, breaking or never, or a mapping {when: …, retain: {count: …, age: …}}, got a list"},
		{"unknown snapshots key", plus("rollout:", "  snapshots:", "    keep: 3"),
			"herd.yaml:11: rollout.snapshots: unknown key \"keep\" (known: when, retain)"},
		{"retain not a mapping", plus("rollout:", "  snapshots:", "    retain: 3"),
			"herd.yaml:11: rollout.snapshots.retain: want a mapping, got a number"},
		{"unknown retain key", plus("rollout:", "  snapshots:", "    retain: {count: 3, days: 30}"),
			"herd.yaml:11: rollout.snapshots.retain: unknown key \"days\" (known: count, age)"},
		{"zero count", plus("rollout:", "  snapshots:", "    retain:", "      count: 0"),
			"herd.yaml:12: rollout.snapshots.retain.count: must be at least 1, got 0"},
		{"count in words", plus("rollout: {snapshots: {retain: {count: three}}}"),
			"herd.yaml:9: rollout.snapshots.retain.count: want a whole number such as 4, got \"three\""},
		{"age without a unit", plus("rollout:", "  snapshots:", "    retain:", "      age: 30"),
			"herd.yaml:12: rollout.snapshots.retain.age: \"30\" is not an age (want a number and a unit: 30d, 12h, 1h30m)"},
		{"age in weeks", plus("rollout: {snapshots: {retain: {age: 2w}}}"),
			"herd.yaml:9: rollout.snapshots.retain.age: \"2w\" is not an age (want a number and a unit: 30d, 12h, 1h30m)"},
		{"negative age", plus("rollout: {snapshots: {retain: {age: -3d}}}"),
			"herd.yaml:9: rollout.snapshots.retain.age: must not be negative, got -3d"},
		{"zero age", plus("rollout: {snapshots: {retain: {age: 0d}}}"),
			"herd.yaml:9: rollout.snapshots.retain.age: must be above 0 (leave age out to keep snapshots of any age)"},
		{"age as a list", plus("rollout: {snapshots: {retain: {age: [30d]}}}"),
			"herd.yaml:9: rollout.snapshots.retain.age: want an age such as 30d, 12h or 1h30m, got a list"},
		{"both spellings of the retention", plus("rollout:", "  snapshots:", "    retain: {count: 3}", "  snapshot_retention: 30d"),
			"herd.yaml:12: rollout.snapshot_retention: rollout.snapshots.retain (line 11) sets the retention; keep only one of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.ParseEnv(yml(tt.lines...), "", nil)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestRetentionKeeps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		retain config.Retention
		rank   int
		age    time.Duration
		want   bool
	}{
		{"no limit keeps an old one", config.Retention{}, 99, 999 * day, true},
		{"within count", config.Retention{Count: 3}, 2, 999 * day, true},
		{"beyond count", config.Retention{Count: 3}, 3, time.Minute, false},
		{"within age", config.Retention{Age: 30 * day}, 50, 30 * day, true},
		{"beyond age", config.Retention{Age: 30 * day}, 0, 30*day + time.Second, false},
		{"both, the newest but too old", config.Retention{Count: 3, Age: 30 * day}, 0, 31 * day, false},
		{"both, young but beyond count", config.Retention{Count: 3, Age: 30 * day}, 3, day, false},
		{"both, within both", config.Retention{Count: 3, Age: 30 * day}, 1, day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.retain.Keeps(tt.rank, tt.age))
		})
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "30d", want: 30 * day},
		{in: "0d", want: 0},
		{in: "12h", want: 12 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: " 7d ", want: 7 * day},
		{in: "1.5d", err: `"1.5d" is not an age (want a number and a unit: 30d, 12h, 1h30m)`},
		{in: "d", err: `"d" is not an age (want a number and a unit: 30d, 12h, 1h30m)`},
		{in: "99999999d", err: `"99999999d" is not an age (want a number and a unit: 30d, 12h, 1h30m)`},
		{in: "-1h", err: "must not be negative, got -1h"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseAge(tt.in)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			if got > 0 {
				back, err := config.ParseAge(config.FormatAge(got))
				require.NoError(t, err)
				require.Equal(t, got, back)
			}
		})
	}
	require.Equal(t, "{count: 3, age: 30d}", config.Retention{Count: 3, Age: 30 * day}.String())
	require.Equal(t, "{age: 36h0m0s}", config.Retention{Age: 36 * time.Hour}.String())
	require.Equal(t, "{}", config.Retention{}.String())
}
