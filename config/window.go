package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Windows are the maintenance windows of herd.yaml: when a rollout may
// touch a tenant.
type Windows struct {
	// Default applies to tenants with no window of their own or of their
	// tier; nil means always open.
	Default *Window
	// Tiers are windows by tenant tier; Tenants, by tenant code.
	Tiers, Tenants map[string]Window
}

// For returns the window that applies to the tenant with code and tier:
// the tenant's own, else its tier's, else the default, else nil, which
// means the tenant may be migrated at any time.
func (ws Windows) For(code, tier string) *Window {
	if w, ok := ws.Tenants[code]; ok {
		return &w
	}
	if w, ok := ws.Tiers[tier]; ok {
		return &w
	}
	return ws.Default
}

// None reports whether herd.yaml declares no window at all: every tenant
// may be migrated at any time.
func (ws Windows) None() bool {
	return ws.Default == nil && len(ws.Tiers) == 0 && len(ws.Tenants) == 0
}

// Window is a maintenance window: it opens on each of Days at Start and
// closes at End, both read on the wall clock of Location. A window whose
// End is not after its Start wraps past midnight: it closes at End on the
// next day. The window is judged by the wall clock: when a daylight-saving
// change skips the hours of a window, it does not open that day; when the
// clocks go back over them, it is open for both passes.
//
// A Window is a value and safe for concurrent use.
type Window struct {
	// Days are the days on which the window opens; empty means every
	// day. A window that wraps past midnight opens on these days and
	// closes on the following ones.
	Days []time.Weekday
	// Start and End are offsets from local midnight: Start in [0, 24h),
	// End in [0, 24h]. End <= Start wraps past midnight; 24h closes the
	// window at the end of the day.
	Start, End time.Duration
	// Location is the time zone of the wall clock; nil means UTC.
	Location *time.Location
	// Text describes the window as written: days, hours and time zone,
	// such as "sat,sun 01:00-05:00 Asia/Kolkata".
	Text string
}

// String returns w.Text, or a description built from the fields when Text
// is empty.
func (w Window) String() string {
	if w.Text != "" {
		return w.Text
	}
	ds := w.Days
	if len(ds) == 0 {
		ds = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	}
	days := make([]string, len(ds))
	for i, d := range ds {
		days[i] = dayName(d)
	}
	return fmt.Sprintf("%s %s-%s %s", strings.Join(days, ","), clock(w.Start), clock(w.End), w.location())
}

// Contains reports whether t is inside the window: whether the wall clock
// of w.Location shows, at t, a day and time the window covers.
func (w Window) Contains(t time.Time) bool {
	lt := t.In(w.location())
	tod := sinceMidnight(lt)
	wraps := w.End <= w.Start
	if w.opensOn(lt.Weekday()) && tod >= w.Start && (wraps || tod < w.End) {
		return true
	}
	return wraps && tod < w.End && w.opensOn((lt.Weekday()+6)%7)
}

// Next returns the earliest instant at or after t that is inside the
// window: t itself when Contains(t). Across a daylight-saving change it is
// the instant the wall clock first shows a time inside the window: the
// change itself when the clocks jump into the window, the second pass when
// they go back into it. Next returns the zero Time only when the window
// never opens (a Window built by hand whose hours the clocks always skip).
func (w Window) Next(t time.Time) time.Time {
	if w.Contains(t) {
		return t
	}
	loc := w.location()
	var best time.Time
	consider := func(c time.Time) {
		if c.After(t) && (best.IsZero() || c.Before(best)) && w.Contains(c) {
			best = c
		}
	}
	// The window can only open where the wall clock reaches Start on one
	// of its days, or jumps at a zone change. Eight days ahead covers the
	// next opening of a weekly window even when a change skips one.
	const horizon = 9
	y, m, d := t.In(loc).Date()
	for i := -1; i <= horizon; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if w.opensOn(day.Weekday()) {
			for _, c := range wallInstants(day, w.Start, loc) {
				consider(c)
			}
		}
	}
	limit := t.AddDate(0, 0, horizon+1)
	for c := t; ; {
		_, end := c.In(loc).ZoneBounds()
		if end.IsZero() || end.After(limit) || !end.After(c) {
			break
		}
		consider(end)
		c = end
	}
	return best
}

// location returns w.Location, or UTC when it is nil.
func (w Window) location() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// opensOn reports whether the window opens on day d.
func (w Window) opensOn(d time.Weekday) bool {
	return len(w.Days) == 0 || slices.Contains(w.Days, d)
}

// wallInstants returns every instant at which the wall clock of loc shows
// the date of day (a UTC midnight) and the time off: none when a zone
// change skips that time, two when the clocks go back over it.
func wallInstants(day time.Time, off time.Duration, loc *time.Location) []time.Time {
	wall := day.Add(off) // the wall time, written as UTC
	approx := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
	var out []time.Time
	for _, probe := range []time.Time{approx.Add(-12 * time.Hour), approx, approx.Add(12 * time.Hour)} {
		_, offset := probe.In(loc).Zone()
		c := wall.Add(-time.Duration(offset) * time.Second)
		lc := c.In(loc)
		same := lc.Year() == wall.Year() && lc.YearDay() == wall.YearDay() && sinceMidnight(lc) == sinceMidnight(wall)
		if same && !slices.ContainsFunc(out, c.Equal) {
			out = append(out, c)
		}
	}
	return out
}

// sinceMidnight is the wall-clock time of day of t.
func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// clock renders an offset from midnight as HH:MM.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// dayName returns the herd.yaml name of d: sun, mon, … sat.
func dayName(d time.Weekday) string {
	return strings.ToLower(d.String()[:3])
}
