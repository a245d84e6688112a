package herd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// HistoryAfter reads the whole fleet's history in ID order from after
// on, a page at a time, and refuses a limit or an after out of bounds as
// input errors naming them.
func TestHistoryAfter(t *testing.T) {
	t.Parallel()
	b := witnessFleet(t, herdtest.Engines()[0], witnessSource(), "", "h%d", 3)
	all, err := b.fleet.HistoryAfter(b.ctx, 0, herd.MaxHistoryLimit)
	require.NoError(t, err)
	require.Len(t, all, 3, "one step per tenant")
	for i := 1; i < len(all); i++ {
		require.Less(t, all[i-1].ID, all[i].ID)
	}
	rest, err := b.fleet.HistoryAfter(b.ctx, all[0].ID, 1)
	require.NoError(t, err)
	require.Equal(t, all[1:2], rest)
	none, err := b.fleet.HistoryAfter(b.ctx, all[2].ID, 10)
	require.NoError(t, err)
	require.Empty(t, none)
	require.NotNil(t, none)

	for _, tc := range []struct {
		name         string
		after        int64
		limit        int
		errorMessage string
	}{
		{"no limit", 0, 0, "the fleet's history: limit 0: want 1 to 1000"},
		{"limit too high", 0, herd.MaxHistoryLimit + 1, "the fleet's history: limit 1001: want 1 to 1000"},
		{"negative after", -1, 10, "the fleet's history: after -1: want an entry's id, or 0 for the first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.fleet.HistoryAfter(b.ctx, tc.after, tc.limit)
			require.True(t, herd.IsInputError(err), "%v", err)
			require.EqualError(t, err, tc.errorMessage)
		})
	}
}
