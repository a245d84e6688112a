package herd

import (
	"cmp"
	"context"

	"github.com/herdhq/herd/control"
)

// DefaultTenantRollouts is how many of a tenant's rollout items a
// TenantRecord holds when TenantRecordQuery.RolloutsLimit is 0; at most
// MaxPageLimit.
const DefaultTenantRollouts = DefaultPageLimit

// TenantRecordQuery selects the pages of a TenantRecord: of its
// migration history and of its rollout items. The zero value asks for
// the first page of each.
type TenantRecordQuery struct {
	// HistoryAfter is the history entry the history page starts after
	// (0: from the first); HistoryLimit how many entries (0:
	// DefaultHistoryLimit, at most MaxHistoryLimit).
	HistoryAfter int64
	HistoryLimit int
	// RolloutsBefore is the rollout the page of rollout items starts
	// below (0: from the newest); RolloutsLimit how many items (0:
	// DefaultTenantRollouts, at most MaxPageLimit).
	RolloutsBefore int64
	RolloutsLimit  int
}

// TenantRollout is a tenant's item in one rollout, with the rollout's id.
type TenantRollout struct {
	RolloutID int64 `json:"rollout_id"`
	RolloutItem
}

// TenantRecord is a tenant as the console shows it: its registry entry,
// its status row (the fields of herd status --json), a page of its
// migration history, its kept snapshots and its items in its newest
// rollouts.
type TenantRecord struct {
	Tenant Tenant    `json:"tenant"`
	Status StatusRow `json:"status"`
	// History is oldest first; its Next is the history_after of the
	// page after it.
	History   HistoryPage `json:"history"`
	Snapshots []Snapshot  `json:"snapshots"`
	// Rollouts are a page of the tenant's rollout items, newest rollout
	// first; RolloutsNext is the RolloutsBefore of the page after it, 0
	// when this page is the last.
	Rollouts     []TenantRollout `json:"rollouts"`
	RolloutsNext int64           `json:"rollouts_next,omitempty"`
}

// TenantRecord returns tenant code with its status, the pages of its
// history and of its rollout items q selects (the history as
// Fleet.HistoryPage takes it), and its snapshots, read from the control
// database. An unknown tenant is an input error wrapping
// control.ErrTenantNotFound; a page out of bounds is one too, naming its
// parameter.
func (f *Fleet) TenantRecord(ctx context.Context, code string, q TenantRecordQuery) (TenantRecord, error) {
	if err := ValidateTenantCode(code); err != nil {
		return TenantRecord{}, err
	}
	switch {
	case q.HistoryLimit < 0 || q.HistoryLimit > MaxHistoryLimit:
		return TenantRecord{}, badParam("history_limit", "%d: want 1 to %d", q.HistoryLimit, MaxHistoryLimit)
	case q.HistoryAfter < 0:
		return TenantRecord{}, badParam("history_after", "%d: want an entry's id, or 0 for the first page", q.HistoryAfter)
	case q.RolloutsLimit < 0 || q.RolloutsLimit > MaxPageLimit:
		return TenantRecord{}, badParam("rollouts_limit", "%d: want 1 to %d", q.RolloutsLimit, MaxPageLimit)
	case q.RolloutsBefore < 0:
		return TenantRecord{}, badParam("rollouts_before", "%d: want a rollout's id, or 0 for the first page", q.RolloutsBefore)
	}
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return TenantRecord{}, err
	}
	rec := TenantRecord{Tenant: t, Rollouts: []TenantRollout{}}
	ref := control.TenantRef(code)
	v, ok, err := f.control.Version(ctx, ref)
	if err != nil {
		return TenantRecord{}, err
	}
	if !ok {
		v = VersionState{Ref: ref, Status: control.StatusPending}
	}
	var drift *TenantDrift
	if d, ok, err := f.control.Drift(ctx, code); err != nil {
		return TenantRecord{}, err
	} else if ok {
		d.Differences = nil // the status row's drift is its summary
		drift = &d
	}
	rec.Status = f.tenantStatusRow(v, t.Size, drift)
	if rec.History, err = f.HistoryPage(ctx, ref, q.HistoryAfter, q.HistoryLimit); err != nil {
		return TenantRecord{}, err
	}
	snapshots, err := f.control.Snapshots(ctx, code)
	if err != nil {
		return TenantRecord{}, err
	}
	rec.Snapshots = nonNil(snapshots)
	limit := cmp.Or(q.RolloutsLimit, DefaultTenantRollouts)
	// One more than the page tells whether another follows.
	items, err := f.control.TenantItems(ctx, code, q.RolloutsBefore, limit+1)
	if err != nil {
		return TenantRecord{}, err
	}
	if len(items) > limit {
		items = items[:limit]
		rec.RolloutsNext = items[limit-1].Rollout
	}
	for _, it := range items {
		rec.Rollouts = append(rec.Rollouts, TenantRollout{RolloutID: it.Rollout, RolloutItem: it})
	}
	return rec, nil
}
