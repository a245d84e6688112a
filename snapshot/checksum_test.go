package snapshot

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	utc := time.Date(2024, 2, 29, 7, 44, 15, 123456000, time.UTC)
	india := utc.In(time.FixedZone("IST", 5*3600+1800))
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"bytes", []byte("Zoë"), "Zoë"},
		{"string", "Zoë", "Zoë"},
		{"empty string", "", ""},
		{"int64", int64(-42), "-42"},
		{"int32", int32(7), "7"},
		{"int", 7, "7"},
		{"uint64", uint64(math.MaxUint64), "18446744073709551615"},
		{"uint8", uint8(255), "255"},
		{"float64", 0.1, "0.1"},
		{"float64 integral", 1500.0, "1500"},
		{"float64 large", 1e21, "1e+21"},
		{"float32 shortest", float32(0.123456789), "0.12345679"},
		{"bool true", true, "1"},
		{"bool false", false, "0"},
		{"time utc", utc, "2024-02-29T07:44:15.123456Z"},
		{"time other zone", india, "2024-02-29T07:44:15.123456Z"},
		{"other", struct{ A int }{3}, "{3}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			text, null := canonical(tc.in)
			require.False(t, null)
			require.Equal(t, tc.want, string(text))
		})
	}
	_, null := canonical(nil)
	require.True(t, null)
}

func TestEncodeRowDistinguishes(t *testing.T) {
	t.Parallel()
	same := [][2][]any{
		{{[]byte("abc"), int64(1)}, {"abc", int64(1)}},
		{{true}, {int64(1)}},
		{{time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)}, {time.Date(2024, 1, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600))}},
	}
	for _, p := range same {
		require.Equal(t, encodeRow(nil, p[0]), encodeRow(nil, p[1]), "%v and %v", p[0], p[1])
	}
	different := [][2][]any{
		{{nil}, {""}},
		{{nil}, {"n"}},
		{{"ab", "c"}, {"a", "bc"}},
		{{"a", nil}, {nil, "a"}},
		{{"1"}, {"1.0"}},
		{{time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)}, {time.Date(2024, 1, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))}},
	}
	for _, p := range different {
		require.NotEqual(t, encodeRow(nil, p[0]), encodeRow(nil, p[1]), "%v and %v", p[0], p[1])
	}
}
