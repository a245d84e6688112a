package execute

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNextSize(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := []struct {
		name         string
		size         int
		took, target time.Duration
		want         int
	}{
		{"no target keeps the size", 1000, 10 * ms, 0, 1000},
		{"on target keeps the size", 1000, 250 * ms, 250 * ms, 1000},
		{"twice as slow halves", 1000, 500 * ms, 250 * ms, 500},
		{"far too slow halves at most", 1000, 5000 * ms, 250 * ms, 500},
		{"a little fast grows a little", 1000, 200 * ms, 250 * ms, 1250},
		{"far too fast doubles at most", 1000, 1 * ms, 250 * ms, 2000},
		{"not above the upper bound", 4000, 1 * ms, 250 * ms, 5000},
		{"not below the lower bound", 60, 5000 * ms, 250 * ms, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, nextSize(tt.size, tt.took, tt.target, 50, 5000))
		})
	}
}
