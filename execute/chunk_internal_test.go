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

// A walk's share done is the keys up to its last bound over the key's
// span, from 0 to 1; without a span (a text key) it is 0.
func TestKeySpanShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		span *keySpan
		to   string
		want float64
	}{
		{"a quarter", &keySpan{least: 0, greatest: 400}, "100", 0.25},
		{"negative keys", &keySpan{least: -100, greatest: 100}, "0", 0.5},
		{"below the span", &keySpan{least: 10, greatest: 20}, "5", 0},
		{"past the span (a key added since)", &keySpan{least: 10, greatest: 20}, "25", 1},
		{"one key", &keySpan{least: 7, greatest: 7}, "7", 0},
		{"no span", nil, "100", 0},
		{"not a number", &keySpan{least: 0, greatest: 10}, "abc", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, tt.span.share(tt.to), 1e-9)
		})
	}
}
