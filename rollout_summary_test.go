package herd_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
)

// Durations are nearest-rank percentiles of the tenants that ran to an
// end; tenants done at the start, skipped or still pending do not count.
func TestSummariseDurations(t *testing.T) {
	t.Parallel()
	ran := func(n int) []herd.RolloutItem {
		var items []herd.RolloutItem
		for i := 1; i <= n; i++ {
			items = append(items, herd.RolloutItem{Tenant: fmt.Sprintf("t%02d", i), State: herd.ItemDone, Attempts: 1, DurationMS: int64(i * 100)})
		}
		return items
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for _, tc := range []struct {
		name  string
		items []herd.RolloutItem
		want  herd.DurationStats
	}{
		{name: "none", want: herd.DurationStats{}},
		{name: "one", items: ran(1), want: herd.DurationStats{Count: 1, P50: ms(100), P95: ms(100), Max: ms(100)}},
		{name: "twenty", items: ran(20), want: herd.DurationStats{Count: 20, P50: ms(1000), P95: ms(1900), Max: ms(2000)}},
		{name: "a hundred and one", items: ran(101), want: herd.DurationStats{Count: 101, P50: ms(5100), P95: ms(9600), Max: ms(10100)}},
		{name: "not run", items: append(ran(2),
			herd.RolloutItem{Tenant: "current", State: herd.ItemDone, Error: "already at v1.1.0"},
			herd.RolloutItem{Tenant: "skipped", State: herd.ItemSkipped, Error: "canMigrate: …"},
			herd.RolloutItem{Tenant: "waiting", State: herd.ItemPending, Attempts: 1, DurationMS: 99999}),
			want: herd.DurationStats{Count: 2, P50: ms(100), P95: ms(200), Max: ms(200)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := herd.Summarise(herd.Rollout{ID: 1}, tc.items)
			require.Equal(t, tc.want, s.Durations)
			require.LessOrEqual(t, len(s.Slowest), herd.SlowestTenants)
			if tc.want.Count > 0 {
				require.Equal(t, tc.want.Max, s.Slowest[0].Duration, "the slowest first")
			}
		})
	}
}

// Errors group by cause once what tells tenants apart is taken out.
func TestSummariseGroupsErrorsByCause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, tenant, err, want string
	}{
		{"tenant and id", "gold_07", `migrate tenant "gold_07": Duplicate entry '17' for key 'PRIMARY'`,
			`migrate tenant "<tenant>": Duplicate entry 'N' for key 'PRIMARY'`},
		{"database name", "oak", "dial school_erp_trust_oak: connection refused",
			"dial school_erp_trust_<tenant>: connection refused"},
		{"versions, migrations and durations kept", "x1", "v1.1.0/003_copy (up) statement 4: timed out after 30m0s",
			"v1.1.0/003_copy (up) statement N: timed out after 30m0s"},
		{"lists of numbers", "t", "key (id)=(1, 2) and 3", "key (id)=(N, N) and N"},
		{"nothing recorded", "t", "", "(no error recorded)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := herd.Summarise(herd.Rollout{}, []herd.RolloutItem{{Tenant: tc.tenant, State: herd.ItemFailed, Attempts: 1, Error: tc.err}})
			require.Len(t, s.Errors, 1)
			require.Equal(t, tc.want, s.Errors[0].Text)
			require.Equal(t, tc.err, s.Errors[0].Example)
		})
	}
	items := make([]herd.RolloutItem, 0, 14)
	for i := range 12 {
		items = append(items, herd.RolloutItem{Tenant: fmt.Sprintf("t%02d", 12-i), State: herd.ItemRolledBack, Attempts: 1,
			Error: fmt.Sprintf(`rolled back to v1.0.0 after: migrate tenant "t%02d": row %d`, 12-i, i)})
	}
	items = append(items, herd.RolloutItem{Tenant: "odd", State: herd.ItemFailed, Attempts: 1, Error: "disk full"})
	s := herd.Summarise(herd.Rollout{}, items)
	require.Len(t, s.Errors, 2)
	require.Equal(t, 12, s.Errors[0].Count, "the largest group first")
	require.Len(t, s.Errors[0].Tenants, herd.CauseTenants)
	require.Equal(t, "t01", s.Errors[0].Tenants[0], "in code order")
	require.Equal(t, "disk full", s.Errors[1].Text)
}
