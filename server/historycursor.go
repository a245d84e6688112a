package server

import (
	"slices"
	"time"
)

// historyCursor follows the control database's migration history as it
// grows, so that each row is counted once although rows may commit out
// of ID order: two runs insert rows 7 and 8, and 8 commits first. A
// reader that went on from 8 would never see 7. So the cursor reads on
// from after, below which every ID is counted or given up on, and
// remembers the IDs above it that it counted. An ID missing below one
// that was read is a hole: a row whose transaction has not committed yet,
// or an ID the engine skipped (rolled back, or reserved and not used, as
// MySQL's auto-increment may do). A hole older than its grace is given up
// on. The cursor is not safe for concurrent use.
type historyCursor struct {
	// after is the ID up to which every row is counted or given up on:
	// the next read starts after it.
	after int64
	// counted are the IDs above after that were counted.
	counted map[int64]bool
	// holes are when each run of missing IDs above after was first seen,
	// by the run's first ID.
	holes map[int64]time.Time
	// grace is how long a hole is waited for.
	grace time.Duration
}

// newHistoryCursor returns a cursor at the start of the history that
// waits grace for a hole.
func newHistoryCursor(grace time.Duration) *historyCursor {
	return &historyCursor{counted: map[int64]bool{}, holes: map[int64]time.Time{}, grace: grace}
}

// take reports whether the row with ID id, just read, is to be counted:
// it is not when it was counted before. It marks it counted.
func (c *historyCursor) take(id int64) bool {
	if id <= c.after || c.counted[id] {
		return false
	}
	c.counted[id] = true
	return true
}

// settle moves after on, at now, once a read has taken every row it
// returned: over the IDs counted, and over holes older than the grace;
// it stops at the first hole still waited for.
func (c *historyCursor) settle(now time.Time) {
	ids := make([]int64, 0, len(c.counted))
	for id := range c.counted {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	holes := make(map[int64]time.Time, len(c.holes))
	prev := c.after
	for _, id := range ids {
		if id > prev+1 {
			since, ok := c.holes[prev+1]
			if !ok {
				since = now
			}
			holes[prev+1] = since
		}
		prev = id
	}
	c.holes = holes
	for _, id := range ids {
		if id > c.after+1 {
			since := c.holes[c.after+1]
			if now.Sub(since) < c.grace {
				break
			}
			delete(c.holes, c.after+1)
		}
		c.after = id
		delete(c.counted, id)
	}
}
