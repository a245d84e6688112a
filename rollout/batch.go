package rollout

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/schedule"
)

// complete ends a rollout all of whose tenants are finished: completed
// when none failed, completed_with_failures (which proves nothing to the
// environments that come after) when some failed or were rolled back.
func (m *Manager) complete(ctx context.Context, r control.Rollout, waves []control.Wave) error {
	status, ev, reason := control.RolloutCompleted, event.RolloutCompleted, ""
	if failed, size := failures(waves); failed > 0 {
		status, ev = control.RolloutCompletedWithFailures, event.RolloutCompletedWithFailures
		reason = fmt.Sprintf("%d of %d tenants failed or were rolled back", failed, size)
	}
	if _, err := m.store.SetRolloutStatus(ctx, r.ID, []control.RolloutStatus{control.RolloutRunning}, status, reason); err != nil {
		return err
	}
	m.emit(event.Event{Type: ev, Rollout: r.ID, To: r.TenantVersion, Reason: reason})
	_, err := m.fleet.PruneSnapshots(ctx, m.settings.SnapshotRetention)
	return err
}

// failures counts the failed and rolled-back tenants of the waves, and
// all their tenants.
func failures(waves []control.Wave) (failed, size int) {
	for _, w := range waves {
		failed, size = failed+w.Failed(), size+w.Size()
	}
	return failed, size
}

// currentWave is the first wave with a tenant not yet finished.
func currentWave(waves []control.Wave) (control.Wave, bool) {
	for _, w := range waves {
		if w.Open() > 0 {
			return w, true
		}
	}
	return control.Wave{}, false
}

// overBudget returns why the wave's failures, with more failed tenants
// the wave does not count yet, exceed its budget, or "".
func (m *Manager) overBudget(w control.Wave, more int) string {
	failed, size := w.Failed()+more, w.Size()
	if !m.budget(w.Index).Exceeded(failed, size) {
		return ""
	}
	return fmt.Sprintf("wave %q: %d of %d tenants failed, over its failure budget", w.Name, failed, size)
}

func (m *Manager) budget(wave int) config.Budget {
	if wave < len(m.settings.Waves) && m.settings.Waves[wave].FailureBudget != nil {
		return *m.settings.Waves[wave].FailureBudget
	}
	return m.settings.FailureBudget
}

func (m *Manager) halt(ctx context.Context, r control.Rollout, reason string) error {
	ok, err := m.store.SetRolloutStatus(ctx, r.ID, []control.RolloutStatus{control.RolloutRunning}, control.RolloutHalted, reason)
	if err == nil && ok {
		m.emit(event.Event{Type: event.RolloutHalted, Rollout: r.ID, Reason: reason})
		err = m.store.Audit(ctx, m.opts.Owner, "rollout.halt", fmt.Sprint(r.ID), reason)
	}
	return err
}

// claimable returns the next batch of the wave that this runner may claim
// now (pending tenants, and tenants whose lease expired by the control
// database's clock, inside their maintenance windows), how many of the
// wave's tenants are leased, and when the first tenant waiting for its
// window may start. A tenant deferred to its window is announced once (the
// planned-maintenance event).
func (m *Manager) claimable(ctx context.Context, id int64, wave control.Wave, tenants map[string]control.Tenant, announced map[string]bool) (batch []control.Item, running int, next time.Time, err error) {
	now := m.opts.Now()
	running = wave.States[control.ItemRunning]
	size := m.batchSize()
	// Without windows every candidate can be claimed, so the first size are
	// all the batch needs; with them, every candidate is read to find those
	// whose window is open and announce the others.
	limit := wave.Size()
	if m.cfg.Windows.None() {
		limit = size
	}
	candidates, err := m.store.Claimable(ctx, id, wave.Index, limit)
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	for _, it := range candidates {
		if w := m.cfg.Windows.For(it.Tenant, tenants[it.Tenant].Tier); w != nil && !w.Contains(now) {
			at := w.Next(now)
			if next.IsZero() || at.Before(next) {
				next = at
			}
			if !announced[it.Tenant] {
				announced[it.Tenant] = true
				m.emit(event.Event{Type: event.TenantMaintenancePlanned, Rollout: id, Wave: it.WaveName, Tenant: it.Tenant, At: &at})
			}
			continue
		}
		if len(batch) < size {
			batch = append(batch, it)
		}
	}
	return batch, running, next, nil
}

// unpausedBatch is how many tenants a round takes when there is no pause
// between batches: batches are then only how the runner reads its work,
// and a larger one keeps every worker busy instead of waiting at the end
// of each batch for its slowest tenant.
const unpausedBatch = 512

// batchSize is how many tenants a round claims at most: the batch size
// when batches are paused between, else at least unpausedBatch.
func (m *Manager) batchSize() int {
	if m.settings.PauseBetweenBatches > 0 {
		return m.settings.BatchSize
	}
	return max(m.settings.BatchSize, unpausedBatch)
}

// runBatch claims and migrates the batch on the fleet's scheduler, with at
// most Concurrency tenants at once and PerServer per server, in batch
// order as far as those allow (see schedule.Pool), and at most
// large_tenants.concurrency of the large tenants at once. It stops claiming as
// soon as the wave's failure budget is exceeded (counting a tenant whose
// migration failed at once, before its rollback is over), the rollout is
// no longer running (a claim then fails) or a graceful stop is asked for;
// tenants in flight finish.
func (m *Manager) runBatch(ctx context.Context, r control.Rollout, batch []control.Item, wave control.Wave, large map[string]bool) error {
	type run struct {
		it      control.Item
		state   control.ItemState
		err     error
		failing bool // counted in failing while it was rolled back
	}
	var (
		errs    []error
		failed  int          // the batch's tenants recorded as failed
		failing atomic.Int32 // the batch's tenants failed and not recorded yet
		ended   bool         // the rollout is no longer running
	)
	pool := schedule.Pool[*run]{
		Limits: schedule.Limits{Concurrency: m.settings.Concurrency, PerServer: m.settings.PerServer,
			Large: m.cfg.LargeTenants.Concurrency},
		Server: func(j *run) string { return j.it.Server },
		Large:  func(j *run) bool { return large[j.it.Tenant] },
		Gate: func(*run) bool {
			return !ended && m.overBudget(wave, failed+int(failing.Load())) == ""
		},
		Work: func(ctx context.Context, j *run) {
			j.state, j.err = m.runTenant(ctx, r, j.it, m.shadowed(j.it, large[j.it.Tenant]), func() {
				j.failing = true
				failing.Add(1)
			})
		},
		Done: func(j *run) {
			if j.failing {
				failing.Add(-1)
			}
			switch {
			case j.err != nil:
				errs = append(errs, j.err)
			case j.state == "" && ctx.Err() == nil:
				// Another runner had the tenant, or the rollout stopped
				// running: only the second ends the batch.
				ended = !m.stillRunning(ctx, r.ID)
			case j.state.Failed():
				failed++
			}
		},
	}
	jobs := make([]*run, len(batch))
	for i, it := range batch {
		jobs[i] = &run{it: it}
	}
	pool.Run(ctx, jobs)
	return errors.Join(errs...)
}

func (m *Manager) stillRunning(ctx context.Context, id int64) bool {
	r, err := m.store.Rollout(ctx, id)
	return err == nil && r.Status == control.RolloutRunning
}
