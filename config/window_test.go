package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowContains(t *testing.T) {
	t.Parallel()
	london := mustZone(t, "Europe/London")
	kolkata := mustZone(t, "Asia/Kolkata")
	// st_marys: Sunday 22:00 to Monday 02:00, London time.
	wrap := config.Window{Days: []time.Weekday{time.Sunday}, Start: 22 * time.Hour, End: 2 * time.Hour, Location: london}
	// enterprise: weekends 01:00-05:00, India time.
	weekend := config.Window{Days: []time.Weekday{time.Saturday, time.Sunday}, Start: time.Hour, End: 5 * time.Hour, Location: kolkata}
	allDay := config.Window{Start: 0, End: 24 * time.Hour}
	evening := config.Window{Start: 18 * time.Hour, End: 24 * time.Hour} // every day, UTC
	// Every day 01:00-01:30 and 01:30-03:00, London: hours the clocks skip
	// in March and pass twice in October.
	skipped := config.Window{Start: time.Hour, End: 90 * time.Minute, Location: london}
	partly := config.Window{Start: 90 * time.Minute, End: 3 * time.Hour, Location: london}

	tests := []struct {
		name   string
		window config.Window
		at     time.Time
		want   bool
	}{
		// 2024-06-02 is a Sunday; London is on BST (UTC+1).
		{"wrap: sunday before opening", wrap, utc("2024-06-02T20:59:59Z"), false},
		{"wrap: sunday at opening", wrap, utc("2024-06-02T21:00:00Z"), true},
		{"wrap: sunday before midnight", wrap, utc("2024-06-02T22:59:59Z"), true},
		{"wrap: monday after midnight", wrap, utc("2024-06-02T23:30:00Z"), true},
		{"wrap: monday just before closing", wrap, utc("2024-06-03T00:59:59Z"), true},
		{"wrap: monday at closing", wrap, utc("2024-06-03T01:00:00Z"), false},
		{"wrap: monday evening", wrap, utc("2024-06-03T21:30:00Z"), false},
		{"wrap: saturday night is not sunday", wrap, utc("2024-06-01T21:30:00Z"), false},
		{"wrap: sunday small hours belong to saturday", wrap, utc("2024-06-02T00:30:00Z"), false},
		{"wrap: in winter (GMT)", wrap, utc("2024-12-01T22:00:00Z"), true},
		{"wrap: winter, an hour early in UTC", wrap, utc("2024-12-01T21:00:00Z"), false},

		// 2024-06-08 is a Saturday; India is UTC+5:30.
		{"zone: friday UTC is saturday in India", weekend, utc("2024-06-07T19:30:00Z"), true},
		{"zone: friday UTC before opening", weekend, utc("2024-06-07T19:29:59Z"), false},
		{"zone: saturday at closing", weekend, utc("2024-06-07T23:30:00Z"), false},
		{"zone: monday", weekend, utc("2024-06-09T20:00:00Z"), false},

		{"all day: any time", allDay, utc("2024-06-05T23:59:59Z"), true},
		{"all day: midnight", allDay, utc("2024-06-05T00:00:00Z"), true},
		{"until 24:00: last second", evening, utc("2024-06-05T23:59:59Z"), true},
		{"until 24:00: midnight", evening, utc("2024-06-06T00:00:00Z"), false},
		{"until 24:00: opening", evening, utc("2024-06-05T18:00:00Z"), true},

		// 2024-03-31: at 01:00 UTC London's clocks go from 01:00 GMT to
		// 02:00 BST.
		{"spring: skipped hour never shows", skipped, utc("2024-03-31T00:59:59Z"), false},
		{"spring: after the change", skipped, utc("2024-03-31T01:00:00Z"), false},
		{"spring: jump lands inside", partly, utc("2024-03-31T01:00:00Z"), true},
		{"spring: just before the jump", partly, utc("2024-03-31T00:59:59Z"), false},
		// 2024-10-27: at 01:00 UTC the clocks go from 02:00 BST to 01:00 GMT.
		{"autumn: first pass", skipped, utc("2024-10-27T00:15:00Z"), true},
		{"autumn: between the passes", skipped, utc("2024-10-27T00:45:00Z"), false},
		{"autumn: second pass", skipped, utc("2024-10-27T01:15:00Z"), true},
		{"autumn: after both", skipped, utc("2024-10-27T01:30:00Z"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.window.Contains(tt.at))
			require.Equal(t, tt.want, tt.window.Contains(tt.at.In(kolkata)), "the zone of t must not matter")
		})
	}
}

func TestWindowNext(t *testing.T) {
	t.Parallel()
	london := mustZone(t, "Europe/London")
	kolkata := mustZone(t, "Asia/Kolkata")
	wrap := config.Window{Days: []time.Weekday{time.Sunday}, Start: 22 * time.Hour, End: 2 * time.Hour, Location: london}
	weekend := config.Window{Days: []time.Weekday{time.Saturday, time.Sunday}, Start: time.Hour, End: 5 * time.Hour, Location: kolkata}
	sundayOne := config.Window{Days: []time.Weekday{time.Sunday}, Start: time.Hour, End: 2 * time.Hour, Location: london}
	sundayLate := config.Window{Days: []time.Weekday{time.Sunday}, Start: 90 * time.Minute, End: 3 * time.Hour, Location: london}
	dailyTwo := config.Window{Start: 2 * time.Hour, End: 3 * time.Hour, Location: london}
	skipped := config.Window{Start: time.Hour, End: 90 * time.Minute, Location: london}
	weekdays := config.Window{
		Days:  []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start: 9 * time.Hour, End: 17 * time.Hour,
	}
	tests := []struct {
		name     string
		window   config.Window
		from     time.Time
		want     time.Time
		wantText string // the result on the window's wall clock
	}{
		{"inside: t itself", wrap, utc("2024-06-02T23:00:00Z"), utc("2024-06-02T23:00:00Z"), "Mon 00:00 BST"},
		{"inside after midnight: t itself", wrap, utc("2024-06-03T00:30:00Z"), utc("2024-06-03T00:30:00Z"), "Mon 01:30 BST"},
		{"outside, same day", wrap, utc("2024-06-02T10:00:00Z"), utc("2024-06-02T21:00:00Z"), "Sun 22:00 BST"},
		{"at closing: next week", wrap, utc("2024-06-03T01:00:00Z"), utc("2024-06-09T21:00:00Z"), "Sun 22:00 BST"},
		{"across the autumn change", wrap, utc("2024-10-21T12:00:00Z"), utc("2024-10-27T22:00:00Z"), "Sun 22:00 GMT"},
		{"zone ahead of UTC", weekend, utc("2024-06-05T12:00:00Z"), utc("2024-06-07T19:30:00Z"), "Sat 01:00 IST"},
		{"between weekend days", weekend, utc("2024-06-08T00:00:00Z"), utc("2024-06-08T19:30:00Z"), "Sun 01:00 IST"},
		{"weekend over: next saturday", weekend, utc("2024-06-09T00:00:00Z"), utc("2024-06-14T19:30:00Z"), "Sat 01:00 IST"},
		{"friday evening to monday", weekdays, utc("2024-06-07T17:00:00Z"), utc("2024-06-10T09:00:00Z"), "Mon 09:00 UTC"},
		{"nanoseconds before opening", weekdays, utc("2024-06-10T09:00:00Z").Add(-time.Nanosecond), utc("2024-06-10T09:00:00Z"), "Mon 09:00 UTC"},

		// 2024-03-31, 01:00 UTC: 01:00 GMT becomes 02:00 BST.
		{"spring: hours skipped, next week", sundayOne, utc("2024-03-30T12:00:00Z"), utc("2024-04-07T00:00:00Z"), "Sun 01:00 BST"},
		{"spring: jump into the window", sundayLate, utc("2024-03-30T12:00:00Z"), utc("2024-03-31T01:00:00Z"), "Sun 02:00 BST"},
		{"spring: opening after the change", dailyTwo, utc("2024-03-31T00:30:00Z"), utc("2024-03-31T01:00:00Z"), "Sun 02:00 BST"},
		{"spring: the day before", dailyTwo, utc("2024-03-30T03:00:00Z"), utc("2024-03-31T01:00:00Z"), "Sun 02:00 BST"},
		// 2024-10-27, 01:00 UTC: 02:00 BST becomes 01:00 GMT.
		{"autumn: first pass", skipped, utc("2024-10-26T12:00:00Z"), utc("2024-10-27T00:00:00Z"), "Sun 01:00 BST"},
		{"autumn: second pass", skipped, utc("2024-10-27T00:45:00Z"), utc("2024-10-27T01:00:00Z"), "Sun 01:00 GMT"},
		{"autumn: after both passes", skipped, utc("2024-10-27T01:30:00Z"), utc("2024-10-28T01:00:00Z"), "Mon 01:00 GMT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.window.Next(tt.from)
			require.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
			loc := tt.window.Location
			if loc == nil {
				loc = time.UTC
			}
			require.Equal(t, tt.wantText, got.In(loc).Format("Mon 15:04 MST"))
			require.True(t, tt.window.Contains(got))
			require.False(t, got.Before(tt.from))
			// Nothing earlier is inside: check every minute back to from.
			if !got.Equal(tt.from) {
				for c := got.Add(-time.Minute); !c.Before(tt.from); c = c.Add(-time.Minute) {
					require.False(t, tt.window.Contains(c), "%s is inside, before %s", c, got)
				}
				require.False(t, tt.window.Contains(tt.from))
			}
		})
	}
}

func TestWindowsFor(t *testing.T) {
	t.Parallel()
	def := config.Window{Text: "default"}
	ws := config.Windows{
		Default: &def,
		Tiers:   map[string]config.Window{"enterprise": {Text: "enterprise"}},
		Tenants: map[string]config.Window{"st_marys": {Text: "st_marys"}},
	}
	tests := []struct {
		name, code, tier, want string
	}{
		{"tenant's own", "st_marys", "enterprise", "st_marys"},
		{"tier's", "acme", "enterprise", "enterprise"},
		{"default", "acme", "standard", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := ws.For(tt.code, tt.tier)
			require.NotNil(t, w)
			require.Equal(t, tt.want, w.Text)
		})
	}
	require.Nil(t, config.Windows{}.For("acme", "standard"), "no windows: always open")
	noDefault := config.Windows{Tiers: ws.Tiers}
	require.Nil(t, noDefault.For("acme", "standard"))
	require.Equal(t, "enterprise", noDefault.For("acme", "enterprise").Text)
}

func TestWindowString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "mon,tue,wed,thu,fri,sat,sun 22:00-02:00 UTC", config.Window{Start: 22 * time.Hour, End: 2 * time.Hour}.String())
	require.Equal(t, "sat 00:00-24:00 UTC", config.Window{Days: []time.Weekday{time.Saturday}, End: 24 * time.Hour}.String())
	require.Equal(t, "as written", config.Window{Text: "as written"}.String())
}
