package rollout

import (
	"context"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/schedule"
)

// maxStatusPoll bounds how long a waiting runner goes without reading its
// rollout's status, so that a pause or an abort from another process ends
// a wait (for a scheduled start, or between batches) within about a
// second.
const maxStatusPoll = time.Second

// await waits for d while rollout id stays in status, reading the status
// every Options.Poll (at most maxStatusPoll). It returns early when the
// status changes (paused, aborted, or halted by another runner) and when
// ctx is done or its graceful stop is requested (schedule.WithStop).
func (m *Manager) await(ctx context.Context, id int64, status control.RolloutStatus, d time.Duration) error {
	poll := min(m.opts.Poll, maxStatusPoll)
	if poll <= 0 {
		poll = maxStatusPoll
	}
	for d > 0 {
		step := min(d, poll)
		if err := sleep(ctx, schedule.Stopped(ctx), step); err != nil || schedule.Stopping(ctx) {
			return err
		}
		d -= step
		r, err := m.store.Rollout(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != status {
			return nil
		}
	}
	return nil
}

// pauseBetweenBatches waits rollout.pause_between_batches after a batch of
// the wave, unless the batch took the wave over its failure budget (the
// rollout is about to halt: there is nothing to pause for) or the rollout
// stops running meanwhile.
func (m *Manager) pauseBetweenBatches(ctx context.Context, id int64, wave int) error {
	waves, err := m.store.Waves(ctx, id)
	if err != nil {
		return err
	}
	for _, w := range waves {
		if w.Index == wave && m.overBudget(w, 0) != "" {
			return nil
		}
	}
	if !m.stillRunning(ctx, id) {
		return nil
	}
	return m.await(ctx, id, control.RolloutRunning, m.settings.PauseBetweenBatches)
}
