package herd

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/herdhq/herd/control"
)

// SlowestTenants is how many tenants a RolloutSummary lists as the
// slowest; CauseTenants how many tenants it names under each cause.
const (
	SlowestTenants = 10
	CauseTenants   = 10
)

// RolloutSummary is what a change-advisory board or a customer-success
// team wants to know of a rollout once it ran: how many tenants it
// migrated, failed, rolled back and skipped, how long they took, which
// were slowest and why the others did not move, errors grouped by cause.
// It is read from the rollout's tenants in the control database.
type RolloutSummary struct {
	Rollout Rollout `json:"rollout"`
	// Tenants is how many tenants the rollout holds; Counts how many are
	// in each state (ItemPending, ...), every state present.
	Tenants int               `json:"tenants"`
	Counts  map[ItemState]int `json:"counts"`
	// Migrated counts the done tenants that this rollout migrated;
	// AlreadyCurrent those done at its start, already at its version.
	Migrated       int `json:"migrated"`
	AlreadyCurrent int `json:"already_current"`
	// Durations are those of the tenants the rollout ran to an end:
	// migrated, failed or rolled back.
	Durations DurationStats `json:"durations"`
	// Slowest are the tenants with the longest durations, longest first,
	// at most SlowestTenants.
	Slowest []TenantDuration `json:"slowest"`
	// Errors are the failed and rolled-back tenants grouped by cause,
	// Skips the skipped ones by reason; the largest group first.
	Errors []Cause `json:"errors"`
	Skips  []Cause `json:"skips"`
}

// DurationStats summarises durations: how many, the median, the 95th
// percentile (nearest rank) and the longest. All are zero when Count is.
type DurationStats struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P95   time.Duration `json:"p95_ns"`
	Max   time.Duration `json:"max_ns"`
}

// TenantDuration is how long one tenant of a rollout took.
type TenantDuration struct {
	Tenant   string        `json:"tenant"`
	Wave     string        `json:"wave"`
	State    ItemState     `json:"state"`
	Duration time.Duration `json:"duration_ns"`
}

// Cause is one cause of failure (or reason to skip) and the tenants it
// stopped. Text is the tenants' error with what tells them apart taken
// out: the tenant's code reads <tenant> and a number that is not part of
// a version or migration reads N.
type Cause struct {
	Text string `json:"cause"`
	// Count is how many tenants it stopped; Tenants names the first
	// CauseTenants of them, in code order.
	Count   int      `json:"count"`
	Tenants []string `json:"tenants"`
	// Example is one tenant's error as recorded, for the detail the
	// normalised text leaves out.
	Example string `json:"example"`
}

// RolloutSummary returns the summary of rollout id (0: the newest),
// read from the control database. An unknown rollout is an input error
// naming it.
func (f *Fleet) RolloutSummary(ctx context.Context, id int64) (RolloutSummary, error) {
	r, err := f.Rollouts(RolloutOptions{}).Newest(ctx, id)
	if err != nil {
		return RolloutSummary{}, err
	}
	items, err := f.control.Items(ctx, r.ID)
	if err != nil {
		return RolloutSummary{}, err
	}
	return Summarise(r, items), nil
}

// Summarise builds the summary of rollout r from its tenants.
func Summarise(r Rollout, items []RolloutItem) RolloutSummary {
	s := RolloutSummary{Rollout: r, Tenants: len(items), Counts: map[ItemState]int{}, Slowest: []TenantDuration{},
		Errors: []Cause{}, Skips: []Cause{}}
	for _, st := range control.ItemStates() {
		s.Counts[st] = 0
	}
	var ran []TenantDuration
	errors, skips := causes{}, causes{}
	for _, it := range items {
		s.Counts[it.State]++
		if it.State == control.ItemDone {
			if it.Attempts == 0 {
				s.AlreadyCurrent++
				continue
			}
			s.Migrated++
		}
		switch it.State {
		case control.ItemFailed, control.ItemRolledBack:
			errors.add(it)
		case control.ItemSkipped:
			skips.add(it)
		}
		if it.Terminal() && it.Attempts > 0 {
			ran = append(ran, TenantDuration{Tenant: it.Tenant, Wave: it.WaveName, State: it.State,
				Duration: time.Duration(it.DurationMS) * time.Millisecond})
		}
	}
	slices.SortStableFunc(ran, func(a, b TenantDuration) int {
		return cmp.Or(cmp.Compare(b.Duration, a.Duration), cmp.Compare(a.Tenant, b.Tenant))
	})
	s.Durations = durationStats(ran)
	s.Slowest = append(s.Slowest, ran[:min(len(ran), SlowestTenants)]...)
	s.Errors, s.Skips = errors.list(), skips.list()
	return s
}

// durationStats summarises ran, sorted longest first.
func durationStats(ran []TenantDuration) DurationStats {
	n := len(ran)
	if n == 0 {
		return DurationStats{}
	}
	// rank returns the nearest-rank p-th percentile of the n durations.
	rank := func(p int) time.Duration {
		k := (p*n + 99) / 100 // ceil(p/100·n), 1-based, counting from the shortest
		return ran[n-k].Duration
	}
	return DurationStats{Count: n, P50: rank(50), P95: rank(95), Max: ran[0].Duration}
}

// causes groups tenants' errors by their normalised text.
type causes map[string]*Cause

func (c causes) add(it RolloutItem) {
	text := normaliseError(it.Error, it.Tenant)
	g, ok := c[text]
	if !ok {
		g = &Cause{Text: text, Example: it.Error}
		c[text] = g
	}
	g.Count++
	g.Tenants = append(g.Tenants, it.Tenant)
}

// list returns the groups, the largest first (then by text), each naming
// its first CauseTenants tenants in code order.
func (c causes) list() []Cause {
	out := make([]Cause, 0, len(c))
	for _, g := range c {
		slices.Sort(g.Tenants)
		g.Tenants = g.Tenants[:min(len(g.Tenants), CauseTenants)]
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Cause) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Text, b.Text)) })
	return out
}

// number matches a run of digits that stands alone: not part of a word
// (a migration's 003_copy), of a version (v1.2.0) or of a decimal.
var number = regexp.MustCompile(`(^|[^\w.])\d+\b([^.]|$)`)

// normaliseError returns msg with tenant code's name replaced by <tenant>
// and standalone numbers (ids, counts, line numbers, durations of one
// run) by N, so that one cause reads the same for every tenant it hit.
func normaliseError(msg, code string) string {
	if msg == "" {
		return "(no error recorded)"
	}
	if code != "" {
		msg = strings.ReplaceAll(msg, code, "<tenant>")
	}
	// ReplaceAll does not see overlapping matches, "1, 2": go again until
	// nothing changes.
	for {
		next := number.ReplaceAllString(msg, "${1}N${2}")
		if next == msg {
			return msg
		}
		msg = next
	}
}
