package herd

import (
	"context"
	"strconv"

	"github.com/herdhq/herd/control"
)

// RolloutQuery selects a page of RolloutList.
type RolloutQuery struct {
	// Status, when set, keeps the rollouts in it (RolloutRunning, ...).
	Status string
	// Page starts at the newest rollout.
	Page
}

// RolloutList is one page of rollouts, newest first.
type RolloutList struct {
	Rollouts []Rollout `json:"rollouts"`
	// Next is the Cursor of the following (older) page; "" when this
	// page is the last.
	Next string `json:"next,omitempty"`
}

// RolloutList returns the rollouts q selects, newest first, a page at a
// time. A status herd does not know, a cursor it did not hand out or a
// limit out of bounds is an input error wrapping a *QueryError that names
// the parameter.
func (f *Fleet) RolloutList(ctx context.Context, q RolloutQuery) (RolloutList, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return RolloutList{}, err
	}
	if err := oneOf("status", q.Status, control.RolloutStatuses()); err != nil {
		return RolloutList{}, err
	}
	before, err := idCursor(q.Cursor, "rollouts")
	if err != nil {
		return RolloutList{}, err
	}
	rs, err := f.control.RolloutPage(ctx, before, control.RolloutStatus(q.Status), limit+1)
	if err != nil {
		return RolloutList{}, err
	}
	rs, next := page(rs, limit, func(r Rollout) cursor { return idKey("rollouts", r.ID) })
	return RolloutList{Rollouts: rs, Next: next}, nil
}

// RolloutWave is one wave of a rollout with its tenants counted by state.
type RolloutWave struct {
	// Index is the wave's place in the rollout, from 0.
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Tenants is the wave's size; Counts are its tenants by state.
	Tenants int               `json:"tenants"`
	Counts  map[ItemState]int `json:"counts"`
	// Claimed counts the tenants a runner ever claimed.
	Claimed int `json:"claimed"`
	// Failed counts those that failed, rolled back or not; Open those
	// that still need work.
	Failed int `json:"failed"`
	Open   int `json:"open"`
}

// RolloutProgress is a rollout with its tenants counted by state, in all
// and per wave, without the tenants themselves (RolloutItems pages them).
// Rollout and Counts are named as in herd rollout status --json.
type RolloutProgress struct {
	Rollout Rollout           `json:"rollout"`
	Counts  map[ItemState]int `json:"counts"`
	Waves   []RolloutWave     `json:"waves"`
}

// RolloutProgress returns rollout id with its counts per state and per
// wave, in two reads whatever its size. An unknown rollout is an input
// error wrapping control.ErrRolloutNotFound.
func (f *Fleet) RolloutProgress(ctx context.Context, id int64) (RolloutProgress, error) {
	r, err := f.control.Rollout(ctx, id)
	if err != nil {
		return RolloutProgress{}, err
	}
	waves, err := f.control.Waves(ctx, id)
	if err != nil {
		return RolloutProgress{}, err
	}
	s := RolloutProgress{Rollout: r, Counts: map[ItemState]int{}, Waves: make([]RolloutWave, len(waves))}
	for i, w := range waves {
		s.Waves[i] = RolloutWave{Index: w.Index, Name: w.Name, Tenants: w.Size(), Counts: w.States, Claimed: w.Claimed,
			Failed: w.Failed(), Open: w.Open()}
		for st, n := range w.States {
			s.Counts[st] += n
		}
	}
	return s, nil
}

// ItemQuery selects a page of RolloutItems.
type ItemQuery struct {
	// State, when set, keeps the tenants in it (ItemFailed, ...).
	State string
	Page
}

// ItemPage is one page of a rollout's tenants, by wave and position;
// Tenants is named as in herd rollout status --json.
type ItemPage struct {
	Tenants []RolloutItem `json:"tenants"`
	// Next is the Cursor of the following page; "" when this page is
	// the last.
	Next string `json:"next,omitempty"`
}

// RolloutItems returns the tenants of rollout id that q selects, by wave
// and position, a page at a time. An unknown rollout is an input error
// wrapping control.ErrRolloutNotFound; a state herd does not know, a
// cursor it did not hand out or a limit out of bounds is one wrapping a
// *QueryError that names the parameter.
func (f *Fleet) RolloutItems(ctx context.Context, id int64, q ItemQuery) (ItemPage, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return ItemPage{}, err
	}
	if err := oneOf("state", q.State, control.ItemStates()); err != nil {
		return ItemPage{}, err
	}
	filter := control.ItemFilter{AfterWave: -1, AfterPosition: -1, State: control.ItemState(q.State), Limit: limit + 1}
	c, err := parseCursor(q.Cursor, "items", 2)
	if err != nil {
		return ItemPage{}, err
	}
	if c != nil {
		wave, err := intKey(c[0])
		if err != nil {
			return ItemPage{}, err
		}
		position, err := intKey(c[1])
		if err != nil {
			return ItemPage{}, err
		}
		filter.AfterWave, filter.AfterPosition = int(wave), int(position)
	}
	if _, err := f.control.Rollout(ctx, id); err != nil {
		return ItemPage{}, err
	}
	items, err := f.control.ItemPage(ctx, id, filter)
	if err != nil {
		return ItemPage{}, err
	}
	items, next := page(items, limit, func(it RolloutItem) cursor {
		return cursor{"items", strconv.Itoa(it.Wave), strconv.Itoa(it.Position)}
	})
	return ItemPage{Tenants: items, Next: next}, nil
}
