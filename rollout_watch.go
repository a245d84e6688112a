package herd

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/herdhq/herd/control"
)

// WatchedTenants bounds the failed and the running tenants a
// RolloutWatch lists, so that reading one costs the same whatever the
// rollout's size.
const WatchedTenants = 50

// RolloutWatch is a rollout as an operator watches it: its counts per
// state and per wave with each wave's failure budget, its failed and
// running tenants (at most WatchedTenants of each), and its pace.
type RolloutWatch struct {
	Rollout Rollout           `json:"rollout"`
	Counts  map[ItemState]int `json:"counts"`
	Waves   []WatchedWave     `json:"waves"`
	// Failures are the tenants that failed, rolled back or not, and
	// Running those running now, by wave and position; MoreFailures and
	// MoreRunning say that there are more than these.
	Failures     []RolloutItem `json:"failures"`
	MoreFailures bool          `json:"more_failures,omitempty"`
	Running      []RolloutItem `json:"running"`
	MoreRunning  bool          `json:"more_running,omitempty"`
	// PerMinute is how many tenants finished per minute since the
	// rollout started; 0 before one finished.
	PerMinute float64 `json:"per_minute"`
	// ETA is when the tenants still open should be finished at that pace;
	// nil when none is open or the pace is not known yet.
	ETA *time.Time `json:"eta,omitempty"`
	// Leases counts, by runner (herd rollout work), the tenants it holds
	// an unexpired lease on now; empty when no runner is working it.
	Leases map[string]int `json:"leases,omitempty"`
	// Rollback is the rollout's emergency rollback, nil when it had
	// none.
	Rollback *RolloutRollback `json:"rollback,omitempty"`
}

// WatchedWave is one wave of a RolloutWatch.
type WatchedWave struct {
	RolloutWave
	// Budget is the wave's failure budget as herd.yaml writes it ("2",
	// "10%"); BudgetLeft, how many more of its tenants may fail before
	// the rollout halts (0 when none may, or the budget is spent).
	Budget     string `json:"budget"`
	BudgetLeft int    `json:"budget_left"`
}

// Finished counts the wave's tenants that need no more work.
func (w WatchedWave) Finished() int { return w.Tenants - w.Open }

// WatchRollout returns rollout id (0: the newest) with its counts,
// waves and budgets, its failed and running tenants and its pace, judged
// by the Fleet's clock, in seven reads of the control database (eight
// for the newest) whatever the rollout's size. An unknown rollout is an
// input error. It is safe for concurrent use.
func (f *Fleet) WatchRollout(ctx context.Context, id int64) (RolloutWatch, error) {
	if id == 0 {
		r, err := f.Rollouts(RolloutOptions{}).Newest(ctx, 0)
		if err != nil {
			return RolloutWatch{}, err
		}
		id = r.ID
	}
	s, err := f.RolloutProgress(ctx, id)
	if err != nil {
		return RolloutWatch{}, err
	}
	p := RolloutWatch{Rollout: s.Rollout, Counts: s.Counts, Waves: make([]WatchedWave, len(s.Waves))}
	open := 0
	for i, w := range s.Waves {
		budget := f.cfg.Rollout.FailureBudget
		if w.Index < len(f.cfg.Rollout.Waves) {
			budget = f.cfg.Rollout.WaveBudget(f.cfg.Rollout.Waves[w.Index])
		}
		p.Waves[i] = WatchedWave{RolloutWave: w, Budget: budget.String(), BudgetLeft: max(0, budget.Allowed(w.Tenants)-w.Failed)}
		open += w.Open
	}
	for _, list := range []struct {
		states []ItemState
		items  *[]RolloutItem
		more   *bool
	}{
		{[]ItemState{control.ItemFailed, control.ItemRolledBack}, &p.Failures, &p.MoreFailures},
		{[]ItemState{control.ItemRunning}, &p.Running, &p.MoreRunning},
	} {
		for _, st := range list.states {
			items, err := f.control.ItemPage(ctx, id, control.ItemFilter{AfterWave: -1, AfterPosition: -1, State: st, Limit: WatchedTenants + 1})
			if err != nil {
				return RolloutWatch{}, err
			}
			*list.items = append(*list.items, items...)
		}
		slices.SortFunc(*list.items, func(a, b RolloutItem) int {
			return cmp.Or(cmp.Compare(a.Wave, b.Wave), cmp.Compare(a.Position, b.Position))
		})
		if len(*list.items) > WatchedTenants {
			*list.items, *list.more = (*list.items)[:WatchedTenants], true
		}
	}
	if p.Leases, err = f.control.Leases(ctx, id); err != nil {
		return RolloutWatch{}, err
	}
	rb, ok, err := f.control.Rollback(ctx, id)
	if err != nil {
		return RolloutWatch{}, err
	}
	if ok {
		if rb.Stalled(f.opts.Now()) {
			// Its process is gone without recording the end: the
			// tenants left are at the rollout's version, as when one
			// is interrupted, and it may be begun again.
			rb.Status = control.RollbackInterrupted
		}
		p.Rollback = &rb
	}
	p.pace(f.opts.Now(), open)
	return p, nil
}

// pace sets PerMinute and ETA at now, with open tenants still to go.
func (p *RolloutWatch) pace(now time.Time, open int) {
	started := p.Rollout.CreatedAt
	if p.Rollout.StartAt != nil {
		started = *p.Rollout.StartAt
	}
	finished := 0
	for st, n := range p.Counts {
		if st.Terminal() {
			finished += n
		}
	}
	elapsed := now.Sub(started)
	if finished == 0 || elapsed <= 0 {
		return
	}
	p.PerMinute = float64(finished) / elapsed.Minutes()
	if open > 0 {
		eta := now.Add(time.Duration(float64(open) / p.PerMinute * float64(time.Minute)))
		p.ETA = &eta
	}
}
