package herd

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/config"
)

// What a monitor reads of the fleet: herd serve's /metrics follows the
// history as it grows and counts rollouts and drift, each in a few
// queries of the control database.

// HistoryAfter returns at most limit entries of the whole fleet's
// history, every database's, by ID, of those whose ID is above after (0:
// from the first): a reader that follows the history passes the last ID
// it saw. Rows of concurrent runs may commit out of ID order, and an
// engine may skip IDs (see control.Store.HistoryAfter). A limit outside
// 1 to MaxHistoryLimit, or a negative after, is an input error.
func (f *Fleet) HistoryAfter(ctx context.Context, after int64, limit int) ([]HistoryEntry, error) {
	if limit < 1 || limit > MaxHistoryLimit {
		return nil, &InputError{Err: fmt.Errorf("the fleet's history: limit %d: want 1 to %d", limit, MaxHistoryLimit)}
	}
	if after < 0 {
		return nil, &InputError{Err: fmt.Errorf("the fleet's history: after %d: want an entry's id, or 0 for the first", after)}
	}
	h, err := f.control.HistoryAfter(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	return nonNil(h), nil
}

// ChunkProgresses lists how far each chunked migration begun and not
// finished has got, in the system database and in each registered
// tenant, as its run last recorded it (at most once a second while its
// ranges commit). A run stopped part-way keeps its entry until a later
// run finishes the walk.
func (f *Fleet) ChunkProgresses(ctx context.Context) ([]ChunkProgress, error) {
	p, err := f.control.ChunkProgresses(ctx)
	return nonNil(p), err
}

// DriftCounts counts the registered tenants by the state of their last
// drift check (herd drift); tenants never checked are not counted.
func (f *Fleet) DriftCounts(ctx context.Context) (map[DriftState]int, error) {
	return f.control.DriftCounts(ctx)
}

// WatchedRollout is a rollout's progress, and since when its
// longest-running tenant has been running.
type WatchedRollout struct {
	RolloutProgress
	// OldestRunning is the latest claim of the rollout's longest-running
	// tenant; nil when none is running.
	OldestRunning *time.Time `json:"oldest_running,omitempty"`
}

// WatchedRollouts returns every unfinished rollout and the newest
// finished ones, at most finished of them, oldest first, each with its
// progress (see RolloutProgress) and its longest-running tenant: one
// query for the list, and two or three for each rollout returned.
func (f *Fleet) WatchedRollouts(ctx context.Context, finished int) ([]WatchedRollout, error) {
	all, err := f.control.Rollouts(ctx)
	if err != nil {
		return nil, err
	}
	var out []WatchedRollout
	for _, r := range slices.Backward(all) {
		if r.Finished() {
			if finished <= 0 {
				continue
			}
			finished--
		}
		p, err := f.RolloutProgress(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		w := WatchedRollout{RolloutProgress: p}
		if p.Counts[ItemRunning] > 0 {
			since, ok, err := f.control.OldestRunning(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			if ok {
				w.OldestRunning = &since
			}
		}
		out = append(out, w)
	}
	slices.Reverse(out)
	return out, nil
}

// MetricsSettings is what herd.yaml says of herd serve's metrics.
type MetricsSettings struct {
	config.Metrics
	// TenantTimeout bounds one tenant's migration in a rollout
	// (rollout.tenant_timeout).
	TenantTimeout time.Duration
}

// MetricsSettings returns herd.yaml's metrics section and the rollouts'
// tenant timeout.
func (f *Fleet) MetricsSettings() MetricsSettings {
	return MetricsSettings{Metrics: f.cfg.Metrics, TenantTimeout: f.cfg.Rollout.TenantTimeout}
}
