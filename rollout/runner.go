package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/schedule"
)

// Outcome is how a runner's Work ended.
type Outcome struct {
	Rollout control.Rollout
	// Waiting is set when the runner stopped with tenants still pending
	// outside their maintenance windows; NextWindow is when the first
	// opens.
	Waiting    bool
	NextWindow time.Time
	// Failed counts the rollout's failed and rolled-back tenants.
	Failed int
	// Stopped is set when a graceful stop of Work's context
	// (schedule.WithStop) ended the run before the rollout did.
	Stopped bool
}

// Work runs phase 2 of rollout id (the newest unfinished one when 0): it
// claims tenants wave by wave, in batches, and migrates them, until the
// rollout completes, halts, is paused or aborted, or only tenants outside
// their maintenance windows are left. Several runners may work one rollout
// at once. A graceful stop of ctx (schedule.WithStop) makes it claim no
// new tenant, let those in flight finish and be recorded, and return with
// the rollout still running (Outcome.Stopped), for resume or another
// runner to carry on; cancelling ctx instead stops at once and leaves the
// tenants in flight to their leases' expiry.
func (m *Manager) Work(ctx context.Context, id int64) (Outcome, error) {
	r, err := m.resolve(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	release, err := m.store.GuardRunner()
	if err != nil {
		return Outcome{}, &problem.InputError{Err: err}
	}
	defer release()
	tenants, err := m.tenantsByCode(ctx)
	if err != nil {
		return Outcome{}, err
	}
	large, err := m.largeTenants(ctx)
	if err != nil {
		return Outcome{}, err
	}
	w := &work{tenants: tenants, large: large, announced: map[string]bool{}, waves: map[int]bool{}}
	for {
		var out *Outcome
		// A round reads all it needs afresh, so a round that lost the
		// control database is simply run again once it is back.
		err := retry.Do(ctx, m.reconnect("work rollout "+fmt.Sprint(r.ID)), func(ctx context.Context) (err error) {
			out, err = m.round(ctx, r.ID, w)
			return err
		})
		if err != nil {
			return Outcome{Rollout: r}, err
		}
		if out != nil {
			return *out, nil
		}
	}
}

// work is what one runner's Work remembers from round to round.
type work struct {
	tenants map[string]control.Tenant
	// large are the tenants large_tenants.concurrency caps, by the sizes
	// recorded when Work started.
	large map[string]bool
	// announced are the tenants whose planned maintenance was announced.
	announced map[string]bool
	// waves are the waves this runner ran batches of.
	waves map[int]bool
}

// round is one turn of Work's loop: it reads rollout id and its waves' counts
// and moves the rollout on by one step: it waits for a scheduled start,
// halts or completes the rollout, or runs its next batch. It returns the
// outcome Work ends with, nil to go on.
func (m *Manager) round(ctx context.Context, id int64, w *work) (*Outcome, error) {
	r, err := m.store.Rollout(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case r.Status == control.RolloutScheduled:
		return m.waitForStart(ctx, r)
	case r.Status != control.RolloutRunning:
		return m.outcome(ctx, r, time.Time{}, false)
	}
	waves, err := m.store.Waves(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	// The current wave, and every wave before it (all of them when none
	// is left): the last batch of a wave may have taken it over its budget
	// after the wave's last check.
	wave, ok := currentWave(waves)
	for _, earlier := range waves {
		if ok && earlier.Index > wave.Index {
			break
		}
		if reason := m.overBudget(earlier, 0); reason != "" {
			return nil, m.halt(ctx, r, reason)
		}
	}
	switch {
	case !ok:
		return nil, m.complete(ctx, r, waves)
	case schedule.Stopping(ctx):
		return m.outcome(ctx, r, time.Time{}, true)
	}
	return m.next(ctx, r, wave, w)
}

// next claims and runs the next batch of the wave, or waits for the
// tenants other runners hold. When every tenant left in the wave waits
// for its maintenance window, it returns the outcome that says so.
func (m *Manager) next(ctx context.Context, r control.Rollout, wave control.Wave, w *work) (*Outcome, error) {
	batch, running, next, err := m.claimable(ctx, r.ID, wave, w.tenants, w.announced)
	switch {
	case err != nil:
		return nil, err
	case len(batch) == 0 && running == 0:
		return m.outcome(ctx, r, next, false)
	case len(batch) == 0:
		return nil, sleep(ctx, schedule.Stopped(ctx), m.opts.Poll)
	}
	if !w.waves[wave.Index] {
		w.waves[wave.Index] = true
		if wave.Claimed == 0 {
			m.emit(event.Event{Type: event.WaveStarted, Rollout: r.ID, Wave: batch[0].WaveName, To: r.TenantVersion})
		}
	}
	if err := m.runBatch(ctx, r, batch, wave, w.large); err != nil {
		return nil, err
	}
	if m.settings.PauseBetweenBatches > 0 {
		return nil, m.pauseBetweenBatches(ctx, r.ID, wave.Index)
	}
	return nil, nil
}

// largeTenants returns the tenants whose recorded size makes them large
// (see config.LargeTenants); nil, without reading the sizes, when
// herd.yaml sets no threshold.
func (m *Manager) largeTenants(ctx context.Context) (map[string]bool, error) {
	limits := m.cfg.LargeTenants
	if limits.Rows <= 0 && limits.Bytes <= 0 {
		return nil, nil
	}
	sizes, err := m.store.Sizes(ctx)
	if err != nil {
		return nil, err
	}
	large := map[string]bool{}
	for code, sz := range sizes {
		if limits.Class(sz.Rows, sz.Bytes, true) == config.SizeLarge {
			large[code] = true
		}
	}
	return large, nil
}

// tenantsByCode returns the registry by code, for the maintenance
// windows' tiers; nil, without reading it, when herd.yaml declares no
// window.
func (m *Manager) tenantsByCode(ctx context.Context) (map[string]control.Tenant, error) {
	if m.cfg.Windows.None() {
		return nil, nil
	}
	ts, err := m.store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]control.Tenant, len(ts))
	for _, t := range ts {
		out[t.Code] = t
	}
	return out, nil
}

// waitForStart waits for a scheduled rollout's start time and marks it
// running, unless a graceful stop comes first, which ends Work. A pause or
// an abort meanwhile ends the wait and leaves the rollout so.
func (m *Manager) waitForStart(ctx context.Context, r control.Rollout) (*Outcome, error) {
	if r.StartAt != nil {
		if d := r.StartAt.Sub(m.opts.Now()); d > 0 {
			if err := m.await(ctx, r.ID, control.RolloutScheduled, d); err != nil {
				return nil, err
			}
			if schedule.Stopping(ctx) {
				return m.outcome(ctx, r, time.Time{}, true)
			}
		}
	}
	_, err := m.store.SetRolloutStatus(ctx, r.ID, []control.RolloutStatus{control.RolloutScheduled}, control.RolloutRunning, "")
	return nil, err
}

// outcome is how Work ends on rollout r: with tenants waiting for their
// window from next (when not zero), or stopped on request.
func (m *Manager) outcome(ctx context.Context, r control.Rollout, next time.Time, stopped bool) (*Outcome, error) {
	waves, err := m.store.Waves(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	failed, _ := failures(waves)
	return &Outcome{Rollout: r, Waiting: !next.IsZero(), NextWindow: next, Failed: failed, Stopped: stopped}, nil
}

// sleep waits for d, or until ctx is done (its error) or stop is closed
// (nil: never).
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-stop:
		return nil
	case <-t.C:
		return nil
	}
}
