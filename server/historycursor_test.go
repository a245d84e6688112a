package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The history cursor counts each row once, waits for a hole (a row that
// commits after a later one) for its grace, and then gives up on it.
func TestHistoryCursor(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const grace = time.Minute
	// read is one read of the history: the IDs it returned, at an offset
	// from start.
	type read struct {
		at  time.Duration
		ids []int64
	}
	tests := []struct {
		name  string
		reads []read
		// counted are the IDs counted, in order; after is where the
		// next read starts.
		counted []int64
		after   int64
	}{
		{"in order", []read{{0, []int64{1, 2, 3}}, {time.Second, []int64{4, 5}}}, []int64{1, 2, 3, 4, 5}, 5},
		{"read twice", []read{{0, []int64{1, 2}}, {time.Second, []int64{1, 2, 3}}}, []int64{1, 2, 3}, 3},
		{"late row fills its hole", []read{{0, []int64{1, 3}}, {time.Second, []int64{3, 2, 4}}}, []int64{1, 3, 2, 4}, 4},
		{"hole waited for", []read{{0, []int64{1, 3, 4}}, {30 * time.Second, []int64{3, 4}}}, []int64{1, 3, 4}, 1},
		{"hole given up on", []read{{0, []int64{1, 3, 4}}, {grace, []int64{3, 4}}}, []int64{1, 3, 4}, 4},
		{"a row later than the grace is not counted", []read{{0, []int64{1, 3}}, {grace, []int64{3}}, {grace + time.Second, []int64{2, 4}}},
			[]int64{1, 3, 4}, 4},
		{"half-filled hole keeps its age", []read{{0, []int64{1, 5}}, {50 * time.Second, []int64{3, 5}}, {grace, []int64{3, 5}}},
			[]int64{1, 5, 3}, 3},
		{"a newer hole waits on", []read{{0, []int64{1, 3}}, {50 * time.Second, []int64{3, 5}}, {grace, []int64{3, 5}}},
			[]int64{1, 3, 5}, 3},
		{"hole at the start", []read{{0, []int64{2, 3}}}, []int64{2, 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newHistoryCursor(grace)
			var counted []int64
			for _, r := range tt.reads {
				for _, id := range r.ids {
					if id > c.after && c.take(id) {
						counted = append(counted, id)
					}
				}
				c.settle(start.Add(r.at))
			}
			require.Equal(t, tt.counted, counted)
			require.Equal(t, tt.after, c.after)
		})
	}
}
