package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
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
	// Stopped is set when Options.Stop ended the run before the rollout
	// did.
	Stopped bool
}

// Work runs phase 2 of rollout id (the newest unfinished one when 0): it
// claims tenants wave by wave, in batches, and migrates them, until the
// rollout completes, halts, is paused or aborted, or only tenants outside
// their maintenance windows are left. Several runners may work one rollout
// at once.
func (m *Manager) Work(ctx context.Context, id int64) (Outcome, error) {
	r, err := m.resolve(ctx, id)
	if err != nil {
		return Outcome{}, err
	}
	release, err := m.fleet.Control().GuardRunner()
	if err != nil {
		return Outcome{}, &problem.InputError{Err: err}
	}
	defer release()
	tenants, err := m.tenantsByCode(ctx)
	if err != nil {
		return Outcome{}, err
	}
	announced := map[string]bool{} // tenants whose maintenance was announced
	for {
		var (
			out  Outcome
			done bool
		)
		// A round reads all it needs afresh, so a round that lost the
		// control database is simply run again once it is back.
		err := retry.Do(ctx, m.reconnect("work rollout "+fmt.Sprint(r.ID)), func(ctx context.Context) (err error) {
			out, done, err = m.round(ctx, r.ID, tenants, announced)
			return err
		})
		if err != nil || done {
			return out, err
		}
	}
}

// round is one turn of Work's loop: it reads rollout id and its items,
// and completes, halts or waits for the rollout, or runs its next batch.
// done reports that Work should return out.
func (m *Manager) round(ctx context.Context, id int64, tenants map[string]control.Tenant, announced map[string]bool) (out Outcome, done bool, err error) {
	r, err := m.fleet.Control().Rollout(ctx, id)
	if err != nil {
		return Outcome{}, true, err
	}
	switch r.Status {
	case control.RolloutScheduled:
		stopped, err := m.waitForStart(ctx, r)
		if err != nil {
			return Outcome{Rollout: r}, true, err
		}
		if stopped {
			out, err := m.stoppedOutcome(ctx, r)
			return out, true, err
		}
		return Outcome{}, false, nil
	case control.RolloutRunning:
	default:
		out, err := m.outcome(ctx, r, time.Time{})
		return out, true, err
	}
	items, err := m.fleet.Control().Items(ctx, r.ID)
	if err != nil {
		return Outcome{}, true, err
	}
	wave, ok := currentWave(items)
	// The current wave, and every wave before it: the last batch of a
	// wave may have taken it over its budget after the wave's last check.
	upTo := wave
	if !ok {
		upTo = lastWave(items)
	}
	for w := 0; w <= upTo; w++ {
		if reason := m.overBudget(items, w); reason != "" {
			return Outcome{}, false, m.halt(ctx, r, reason)
		}
	}
	if !ok {
		return Outcome{}, false, m.complete(ctx, r, items)
	}
	if m.stopping() {
		out, err := m.stoppedOutcome(ctx, r)
		return out, true, err
	}
	batch, running, next, err := m.claimable(ctx, r.ID, items, wave, tenants, announced)
	if err != nil {
		return Outcome{}, true, err
	}
	if len(batch) == 0 {
		if running == 0 {
			// Everything left in the wave waits for its window.
			out, err := m.outcome(ctx, r, next)
			return out, true, err
		}
		_, err := sleep(ctx, m.opts.Stop, m.opts.Poll)
		return Outcome{}, false, err
	}
	if err := m.runBatch(ctx, r, batch, items, wave); err != nil {
		return Outcome{}, true, err
	}
	if m.settings.PauseBetweenBatches > 0 {
		return Outcome{}, false, m.pauseBetweenBatches(ctx, r.ID, wave)
	}
	return Outcome{}, false, nil
}

func (m *Manager) tenantsByCode(ctx context.Context) (map[string]control.Tenant, error) {
	ts, err := m.fleet.Tenants(ctx)
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
// running, unless a graceful stop comes first (reported as stopped). A
// pause or an abort meanwhile ends the wait and leaves the rollout so.
func (m *Manager) waitForStart(ctx context.Context, r control.Rollout) (stopped bool, err error) {
	if r.StartAt != nil {
		if d := r.StartAt.Sub(m.opts.Now()); d > 0 {
			if stopped, err := m.await(ctx, r.ID, control.RolloutScheduled, d); stopped || err != nil {
				return stopped, err
			}
		}
	}
	_, err = m.fleet.Control().SetRolloutStatus(ctx, r.ID, []string{control.RolloutScheduled}, control.RolloutRunning, "")
	return false, err
}

// stopping reports whether a graceful stop was asked for (Options.Stop).
func (m *Manager) stopping() bool {
	select {
	case <-m.opts.Stop:
		return true
	default:
		return false
	}
}

// stoppedOutcome is the outcome of a run that a graceful stop ended.
func (m *Manager) stoppedOutcome(ctx context.Context, r control.Rollout) (Outcome, error) {
	out, err := m.outcome(ctx, r, time.Time{})
	out.Stopped = true
	return out, err
}

func (m *Manager) outcome(ctx context.Context, r control.Rollout, next time.Time) (Outcome, error) {
	items, err := m.fleet.Control().Items(ctx, r.ID)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Rollout: r, Waiting: !next.IsZero(), NextWindow: next, Failed: failures(items)}, nil
}

// complete ends a rollout all of whose tenants are finished: completed
// when none failed, completed_with_failures (which proves nothing to the
// environments that come after) when some failed or were rolled back.
func (m *Manager) complete(ctx context.Context, r control.Rollout, items []control.Item) error {
	status, ev, reason := control.RolloutCompleted, event.RolloutCompleted, ""
	if failed := failures(items); failed > 0 {
		status, ev = control.RolloutCompletedWithFailures, event.RolloutCompletedWithFailures
		reason = fmt.Sprintf("%d of %d tenants failed or were rolled back", failed, len(items))
	}
	if _, err := m.fleet.Control().SetRolloutStatus(ctx, r.ID, []string{control.RolloutRunning}, status, reason); err != nil {
		return err
	}
	m.emit(event.Event{Type: ev, Rollout: r.ID, To: r.TenantVersion, Reason: reason})
	_, err := m.fleet.PruneSnapshots(ctx, m.settings.SnapshotRetention)
	return err
}

// failures counts the failed and rolled-back tenants among items.
func failures(items []control.Item) int {
	n := 0
	for _, it := range items {
		if control.Failed(it.State) {
			n++
		}
	}
	return n
}

// lastWave is the highest wave of items.
func lastWave(items []control.Item) int {
	last := 0
	for _, it := range items {
		last = max(last, it.Wave)
	}
	return last
}

// currentWave is the first wave with a tenant not yet finished.
func currentWave(items []control.Item) (int, bool) {
	for _, it := range items {
		if !it.Terminal() {
			return it.Wave, true
		}
	}
	return 0, false
}

// overBudget returns why the wave's failures exceed its budget, or "".
func (m *Manager) overBudget(items []control.Item, wave int) string {
	size, failed := 0, 0
	name := ""
	for _, it := range items {
		if it.Wave != wave {
			continue
		}
		size++
		name = it.WaveName
		if control.Failed(it.State) {
			failed++
		}
	}
	budget := m.budget(wave)
	if !budget.Exceeded(failed, size) {
		return ""
	}
	return fmt.Sprintf("wave %q: %d of %d tenants failed, over its failure budget", name, failed, size)
}

func (m *Manager) budget(wave int) config.Budget {
	if wave < len(m.settings.Waves) && m.settings.Waves[wave].FailureBudget != nil {
		return *m.settings.Waves[wave].FailureBudget
	}
	return m.settings.FailureBudget
}

func (m *Manager) halt(ctx context.Context, r control.Rollout, reason string) error {
	ok, err := m.fleet.Control().SetRolloutStatus(ctx, r.ID, []string{control.RolloutRunning}, control.RolloutHalted, reason)
	if err == nil && ok {
		m.emit(event.Event{Type: event.RolloutHalted, Rollout: r.ID, Reason: reason})
		err = m.fleet.Control().Audit(ctx, m.opts.Owner, "rollout.halt", fmt.Sprint(r.ID), reason)
	}
	return err
}

// claimable returns the next batch of the wave that this runner may claim
// now (pending tenants, and tenants whose lease expired by the control
// database's clock, inside their maintenance windows), how many of the
// wave's tenants are leased, and when the first tenant waiting for its
// window may start. A tenant deferred to its window is announced once (the
// planned-maintenance event).
func (m *Manager) claimable(ctx context.Context, id int64, items []control.Item, wave int, tenants map[string]control.Tenant, announced map[string]bool) (batch []control.Item, running int, next time.Time, err error) {
	now := m.opts.Now()
	for _, it := range items {
		if it.Wave == wave && it.State == control.ItemRunning {
			running++
		}
	}
	candidates, err := m.fleet.Control().Claimable(ctx, id, wave, len(items))
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
		if len(batch) < m.settings.BatchSize {
			batch = append(batch, it)
		}
	}
	return batch, running, next, nil
}

// runBatch claims and migrates the batch with at most Concurrency tenants
// at once and PerServer per server: it starts the first tenant, in batch
// order, whose server has room, so a full server does not hold up the
// tenants of the others. It stops claiming as soon as the wave's failure
// budget is exceeded, the rollout is no longer running or a graceful stop
// is asked for; tenants in flight finish.
func (m *Manager) runBatch(ctx context.Context, r control.Rollout, batch, items []control.Item, wave int) error {
	type result struct {
		it    control.Item
		state string
		err   error
	}
	var (
		results   = make(chan result, len(batch))
		inFlight  int
		perServer = map[string]int{}
		failures  = map[string]bool{}
		stop      bool
		errs      []error
		pending   = slices.Clone(batch)
	)
	record := func(res result) {
		inFlight--
		perServer[res.it.Server]--
		if res.err != nil {
			errs = append(errs, res.err)
		}
		if control.Failed(res.state) {
			failures[res.it.Tenant] = true
			stop = stop || m.overBudget(withFailures(items, failures), wave) != ""
		}
	}
	for len(pending) > 0 && !stop {
		// Take in what has finished, so a failure is counted before the
		// next claim.
		for drained := false; !drained; {
			select {
			case res := <-results:
				record(res)
			default:
				drained = true
			}
		}
		i := m.startable(pending, perServer, inFlight)
		if i < 0 {
			record(<-results)
			continue
		}
		if stop || m.stopping() || !m.stillRunning(ctx, r.ID) {
			break
		}
		it := pending[i]
		pending = slices.Delete(pending, i, i+1)
		inFlight++
		perServer[it.Server]++
		go func() {
			state, err := m.runTenant(ctx, r, it)
			results <- result{it: it, state: state, err: err}
		}()
	}
	for inFlight > 0 {
		record(<-results)
	}
	return errors.Join(errs...)
}

// startable returns the index of the first pending tenant that may start
// with inFlight tenants running, perServer of them on each server, or -1.
// With none running, the first may always start.
func (m *Manager) startable(pending []control.Item, perServer map[string]int, inFlight int) int {
	if inFlight == 0 {
		return 0
	}
	if inFlight >= m.settings.Concurrency {
		return -1
	}
	for i, it := range pending {
		if perServer[it.Server] < m.settings.PerServer {
			return i
		}
	}
	return -1
}

// withFailures returns items with the given tenants marked failed.
func withFailures(items []control.Item, failed map[string]bool) []control.Item {
	out := make([]control.Item, len(items))
	for i, it := range items {
		if failed[it.Tenant] {
			it.State = control.ItemFailed
		}
		out[i] = it
	}
	return out
}

func (m *Manager) stillRunning(ctx context.Context, id int64) bool {
	r, err := m.fleet.Control().Rollout(ctx, id)
	return err == nil && r.Status == control.RolloutRunning
}

// runTenant claims one tenant, migrates it under a heartbeated lease, rolls
// it back when the migration fails, and releases it with the outcome. It
// returns the state recorded, "" when another runner had the tenant.
func (m *Manager) runTenant(ctx context.Context, r control.Rollout, it control.Item) (string, error) {
	store := m.fleet.Control()
	lease, ok, err := store.Claim(ctx, r.ID, it.Tenant, m.opts.Owner, m.settings.Lease)
	if err != nil || !ok {
		return "", err
	}
	stopHeartbeat := m.heartbeat(ctx, lease)
	m.emit(event.Event{Type: event.TenantStarted, Rollout: r.ID, Wave: it.WaveName, Tenant: it.Tenant, From: it.FromVersion, To: r.TenantVersion})
	start := m.opts.Now()

	note, snapErr := m.snapshot(ctx, r, it)
	if snapErr == nil {
		err = m.migrate(ctx, it.Tenant, r.TenantVersion)
	}
	if ctx.Err() != nil {
		stopHeartbeat()
		return "", ctx.Err() // the lease lapses; a runner takes the tenant over
	}
	if snapErr == nil && err == nil {
		m.emit(event.Event{Type: event.TenantMigrated, Rollout: r.ID, Wave: it.WaveName, Tenant: it.Tenant, From: it.FromVersion, To: r.TenantVersion})
		err = m.bake(ctx, it.Tenant)
	}

	state, msg, ev := control.ItemDone, note, event.TenantDone
	var refused *plan.RefusedError
	if errors.As(err, &refused) && refused.Reason == plan.MissingFeatures {
		// The tenant's features changed since the rollout started: it is
		// skipped, as it would have been then, and nothing ran.
		state, msg, ev, err = control.ItemSkipped, "canMigrate: "+refused.Msg, event.TenantSkipped, nil
	}
	// A refused plan, or a database another fleet owns, ran nothing:
	// there is nothing to roll back (and, in another fleet's database,
	// nothing herd may touch).
	var foreign *execute.OwnerError
	ranNothing := refused != nil || errors.As(err, &foreign)
	switch {
	case snapErr != nil:
		// Nothing ran: there is nothing to roll back.
		state, msg, ev = control.ItemFailed, snapErr.Error(), event.TenantFailed
	case errors.Is(err, execute.ErrOutcomeUnknown):
		// Rolling back a migration that may have committed could undo it:
		// the next run, which reads the ledger first, settles it.
		state, msg, ev = control.ItemFailed, err.Error()+"; not rolled back: retry the tenant once its database is reachable", event.TenantFailed
	case err != nil:
		state, msg, ev = control.ItemFailed, joinNote(err.Error(), note), event.TenantFailed
		if it.FromVersion != "" && !ranNothing {
			if how, rbErr := m.fleet.Restore(ctx, it.Tenant, "v"+it.FromVersion); rbErr != nil {
				msg += "; automatic rollback failed: " + rbErr.Error()
			} else {
				state, ev = control.ItemRolledBack, event.TenantRolledBack
				msg = fmt.Sprintf("rolled back to v%s (%s) after: %s", it.FromVersion, how, msg)
				// The rollback's own success is not the tenant's news:
				// its status shows the failure until it migrates again.
				if err := retry.Do(ctx, m.reconnect("record tenant "+it.Tenant), func(ctx context.Context) error {
					return store.End(ctx, control.TenantRef(it.Tenant), it.FromVersion, errors.New(msg))
				}); err != nil {
					msg += "; recording it failed: " + err.Error()
				}
			}
		}
	}
	stopHeartbeat()
	took := m.opts.Now().Sub(start)
	err = retry.Do(ctx, m.reconnect("release tenant "+it.Tenant), func(ctx context.Context) (err error) {
		ok, err = store.Release(ctx, lease, state, took, msg)
		return err
	})
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil // the lease expired and another runner owns the tenant now
	}
	m.emit(event.Event{Type: ev, Rollout: r.ID, Wave: it.WaveName, Tenant: it.Tenant, From: it.FromVersion, To: r.TenantVersion, Reason: msg})
	return state, nil
}

// heartbeat extends the lease every third of its length until stopped.
func (m *Manager) heartbeat(ctx context.Context, l control.Lease) (stop func()) {
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(m.settings.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if ok, err := m.fleet.Control().Heartbeat(hctx, l, m.settings.Lease); err == nil && !ok {
					return // lost: the final Release will say so
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// sleep waits for d, or until ctx is done, or until stop is closed (nil:
// never), which it reports.
func sleep(ctx context.Context, stop <-chan struct{}, d time.Duration) (stopped bool, err error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-stop:
		return true, nil
	case <-t.C:
		return false, nil
	}
}

// migrate brings one tenant to version under the tenant timeout, with the
// health probes watching; a timeout or a failed probe ends the migration
// (on MySQL the running statement is killed on the server) and is the
// error returned.
func (m *Manager) migrate(ctx context.Context, code, version string) error {
	tctx, cancelTimeout := context.WithTimeoutCause(ctx, m.settings.TenantTimeout,
		fmt.Errorf("timed out after %s", m.settings.TenantTimeout))
	defer cancelTimeout()
	tctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	stopWatch := m.watch(tctx, cancel, code)
	err := m.fleet.Migrate(tctx, control.TenantRef(code), "v"+version)
	probeErr := stopWatch()
	if err == nil {
		return nil
	}
	if cause := context.Cause(tctx); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return errors.Join(err, probeErr)
}

// snapshot takes the tenant's rollback point when the snapshot policy
// asks for one. A failed snapshot is the returned error (the tenant is then
// neither migrated nor rolled back), except under best_effort when down
// migrations can take the tenant back: then the tenant is migrated and
// note says so.
func (m *Manager) snapshot(ctx context.Context, r control.Rollout, it control.Item) (note string, err error) {
	if !m.wantsSnapshot(r) {
		return "", nil
	}
	_, err = m.fleet.TakeSnapshot(ctx, it.Tenant, r.ID)
	if err == nil || ctx.Err() != nil {
		return "", err
	}
	if m.settings.Snapshots != config.SnapshotsBestEffort {
		return "", fmt.Errorf("snapshot failed: %w, not migrated", err)
	}
	step, rerr := m.fleet.IrreversibleStep(ctx, it.Tenant, "v"+r.TenantVersion)
	switch {
	case rerr != nil:
		return "", fmt.Errorf("snapshot failed: %w, not migrated (best_effort could not check for down migrations: %v)", err, rerr)
	case step != "":
		return "", fmt.Errorf("snapshot failed: %w, not migrated (best_effort: %s has no down migration)", err, step)
	}
	return fmt.Sprintf("snapshot failed: %v; migrated without one (best_effort: down migrations can take it back)", err), nil
}

// joinNote appends note, when there is one, to msg.
func joinNote(msg, note string) string {
	if note == "" {
		return msg
	}
	return msg + "; " + note
}

// wantsSnapshot applies the snapshot policy: always, never, or (required,
// best_effort) on releases marked breaking.
func (m *Manager) wantsSnapshot(r control.Rollout) bool {
	switch m.settings.Snapshots {
	case config.SnapshotsAlways:
		return true
	case config.SnapshotsRequired, config.SnapshotsBreaking, config.SnapshotsBestEffort:
		rel, ok := m.cfg.Release(r.Release)
		return ok && rel.BreakingChanges
	}
	return false
}
