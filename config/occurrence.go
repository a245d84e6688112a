package config

import "time"

// Occurrence is one opening of a maintenance window: from Start until
// End.
type Occurrence struct {
	Start, End time.Time
}

// Occurrences returns the openings of w that overlap [from, to), in
// order. An opening starts where the wall clock of w.Location shows
// w.Start on one of w.Days and ends where it next shows w.End: the same
// day, or the next for a window that wraps past midnight. An opening
// whose start a daylight-saving change skips is left out, as the window
// does not open that day (see Window); one whose end it skips ends when
// the clocks jump.
func (w Window) Occurrences(from, to time.Time) []Occurrence {
	loc := w.location()
	y, m, d := from.In(loc).Date()
	var out []Occurrence
	// A window opens at most once a day and lasts at most a day, so the
	// day before from is the earliest whose opening can overlap it.
	for day := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC); ; day = day.AddDate(0, 0, 1) {
		start, skipped := wallFirst(day, w.Start, loc)
		if !start.Before(to) {
			return out
		}
		if !w.opensOn(day.Weekday()) || skipped && !w.Contains(start) {
			continue
		}
		endDay := day
		if w.End <= w.Start {
			endDay = day.AddDate(0, 0, 1)
		}
		if end := wallLast(endDay, w.End, loc); end.After(from) {
			out = append(out, Occurrence{Start: start, End: end})
		}
	}
}

// wallFirst returns the first instant at which the wall clock of loc shows
// the date of day (a UTC midnight) and the time off, or, when a zone
// change skips that time, the instant of the change and true.
func wallFirst(day time.Time, off time.Duration, loc *time.Location) (time.Time, bool) {
	if ins := wallInstants(day, off, loc); len(ins) > 0 {
		return ins[0], false
	}
	return jumpBefore(day, off, loc), true
}

// wallLast is wallFirst's last instant, for the end of an opening: the
// second pass when the clocks go back over the time, the change when
// they skip it.
func wallLast(day time.Time, off time.Duration, loc *time.Location) time.Time {
	if ins := wallInstants(day, off, loc); len(ins) > 0 {
		return ins[len(ins)-1]
	}
	return jumpBefore(day, off, loc)
}

// jumpBefore returns the instant of the zone change that skipped the
// wall time off on day: the start of the zone period time.Date reads the
// skipped time into.
func jumpBefore(day time.Time, off time.Duration, loc *time.Location) time.Time {
	past := time.Date(day.Year(), day.Month(), day.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, loc)
	start, _ := past.ZoneBounds()
	return start
}
