package herd

import (
	"context"

	"github.com/herdhq/herd/control"
)

// MaxTenantRollouts bounds TenantRecord.Rollouts: a tenant's items in
// its newest rollouts.
const MaxTenantRollouts = 50

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
	// Rollouts are the tenant's items in its MaxTenantRollouts newest
	// rollouts, newest first.
	Rollouts []TenantRollout `json:"rollouts"`
}

// TenantRecord returns tenant code with its status, the page of its
// history after entry historyAfter (at most historyLimit entries, as
// Fleet.HistoryPage takes them), its snapshots and its newest rollout
// items, read from the control database. An unknown tenant is an input
// error wrapping control.ErrTenantNotFound; a history page out of bounds
// is one too.
func (f *Fleet) TenantRecord(ctx context.Context, code string, historyAfter int64, historyLimit int) (TenantRecord, error) {
	if err := ValidateTenantCode(code); err != nil {
		return TenantRecord{}, err
	}
	if historyLimit < 0 || historyLimit > MaxHistoryLimit {
		return TenantRecord{}, badParam("history_limit", "%d: want 1 to %d", historyLimit, MaxHistoryLimit)
	}
	if historyAfter < 0 {
		return TenantRecord{}, badParam("history_after", "%d: want an entry's id, or 0 for the first page", historyAfter)
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
	if rec.History, err = f.HistoryPage(ctx, ref, historyAfter, historyLimit); err != nil {
		return TenantRecord{}, err
	}
	snapshots, err := f.control.Snapshots(ctx, code)
	if err != nil {
		return TenantRecord{}, err
	}
	rec.Snapshots = nonNil(snapshots)
	items, err := f.control.TenantItems(ctx, code, MaxTenantRollouts)
	if err != nil {
		return TenantRecord{}, err
	}
	for _, it := range items {
		rec.Rollouts = append(rec.Rollouts, TenantRollout{RolloutID: it.Rollout, RolloutItem: it})
	}
	return rec, nil
}
