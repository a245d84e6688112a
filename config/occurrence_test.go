package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func TestWindowOccurrences(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		w        config.Window
		from, to time.Time
		want     []config.Occurrence
	}{
		{
			name: "weekend nights in Kolkata",
			w:    config.Window{Days: []time.Weekday{time.Saturday, time.Sunday}, Start: time.Hour, End: 5 * time.Hour, Location: kolkata},
			from: utc(11, 27, 0, 0), to: utc(12, 4, 0, 0), // Friday to Friday
			want: []config.Occurrence{
				{Start: utc(11, 27, 19, 30), End: utc(11, 27, 23, 30)}, // Saturday 01:00 IST
				{Start: utc(11, 28, 19, 30), End: utc(11, 28, 23, 30)},
			},
		},
		{
			name: "wraps past midnight, the one open at from included",
			w:    config.Window{Days: []time.Weekday{time.Monday}, Start: 22 * time.Hour, End: 2 * time.Hour},
			from: utc(11, 24, 1, 0), to: utc(12, 1, 0, 0), // Tuesday 01:00, inside Monday's opening
			want: []config.Occurrence{{Start: utc(11, 23, 22, 0), End: utc(11, 24, 2, 0)}, {Start: utc(11, 30, 22, 0), End: utc(12, 1, 2, 0)}},
		},
		{
			name: "until 24:00",
			w:    config.Window{Days: []time.Weekday{time.Wednesday}, Start: 20 * time.Hour, End: 24 * time.Hour},
			from: utc(11, 23, 0, 0), to: utc(11, 30, 0, 0),
			want: []config.Occurrence{{Start: utc(11, 25, 20, 0), End: utc(11, 26, 0, 0)}},
		},
		{
			name: "London across the change to summer time: the window opens when the clocks jump into it",
			w:    config.Window{Start: time.Hour + 30*time.Minute, End: 3 * time.Hour, Location: london},
			from: utc(3, 28, 12, 0), to: utc(3, 30, 12, 0),
			want: []config.Occurrence{
				{Start: utc(3, 29, 1, 0), End: utc(3, 29, 2, 0)},  // 01:00 GMT jumps to 02:00 BST
				{Start: utc(3, 30, 0, 30), End: utc(3, 30, 2, 0)}, // Monday 01:30 BST
			},
		},
		{
			name: "London in winter and summer",
			w:    config.Window{Days: []time.Weekday{time.Saturday}, Start: 2 * time.Hour, End: 4 * time.Hour, Location: london},
			from: utc(3, 20, 0, 0), to: utc(4, 5, 0, 0),
			want: []config.Occurrence{{Start: utc(3, 21, 2, 0), End: utc(3, 21, 4, 0)}, {Start: utc(3, 28, 2, 0), End: utc(3, 28, 4, 0)},
				{Start: utc(4, 4, 1, 0), End: utc(4, 4, 3, 0)}},
		},
		{
			name: "London: a window inside the skipped hour never opens that day",
			w:    config.Window{Start: time.Hour, End: time.Hour + 30*time.Minute, Location: london},
			from: utc(3, 29, 0, 0), to: utc(3, 29, 23, 0),
		},
		{
			name: "London back to winter time: open for both passes",
			w:    config.Window{Start: time.Hour, End: time.Hour + 30*time.Minute, Location: london},
			from: utc(10, 25, 0, 0), to: utc(10, 25, 23, 0),
			want: []config.Occurrence{{Start: utc(10, 25, 0, 0), End: utc(10, 25, 1, 30)}}, // 01:00 BST to the second 01:30 (GMT)
		},
		{
			name: "an empty range",
			w:    config.Window{Start: time.Hour, End: 2 * time.Hour},
			from: utc(5, 1, 3, 0), to: utc(5, 1, 3, 0),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.w.Occurrences(tc.from, tc.to)
			require.Len(t, got, len(tc.want))
			for i := range got {
				require.True(t, tc.want[i].Start.Equal(got[i].Start), "start %d: want %s, got %s", i, tc.want[i].Start, got[i].Start.UTC())
				require.True(t, tc.want[i].End.Equal(got[i].End), "end %d: want %s, got %s", i, tc.want[i].End, got[i].End.UTC())
				require.True(t, tc.w.Contains(got[i].Start), "the window is open at each start")
			}
		})
	}
}
