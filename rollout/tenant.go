package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
)

// runTenant claims one tenant, migrates it under a heartbeated lease, rolls
// it back when the migration fails, and releases it with the outcome. It
// calls failed as soon as the tenant is bound to fail (before its
// rollback), for the failure budget. It returns the state recorded, ""
// when another runner had the tenant.
func (m *Manager) runTenant(ctx context.Context, r control.Rollout, it control.Item, shadow bool, failed func()) (control.ItemState, error) {
	store := m.store
	// A tenant migrated in place has its run begun, and its registry entry
	// read, by its claim, in the claim's commit; a shadow migration records
	// its run itself.
	var (
		run control.Run
		ok  bool
		err error
	)
	if shadow {
		run.Lease, ok, err = store.Claim(ctx, it, m.opts.Owner, m.settings.Lease)
	} else {
		run, ok, err = store.ClaimRun(ctx, it, m.opts.Owner, m.settings.Lease, r.TenantVersion)
	}
	if err != nil || !ok {
		return "", err
	}
	stopHeartbeat := m.heartbeat(ctx, run.Lease)
	m.emitTenant(r, it, event.TenantStarted, "")
	start := m.opts.Now()
	took := func() time.Duration { return m.opts.Now().Sub(start) }

	// A shadow migration keeps the database it leaves as the rollback
	// point: it takes no snapshot.
	var note string
	var snapErr error
	if !shadow {
		note, snapErr = m.snapshot(ctx, r, it)
	}
	// A tenant with nothing to probe after its run is done when the run
	// succeeds: the run's commit releases it, and the runner makes no
	// commit of its own.
	var release *control.LeaseEnd
	if !shadow && !m.hasProbes() {
		release = &control.LeaseEnd{Lease: run.Lease, Msg: note, Took: took}
	}
	if snapErr == nil {
		err = m.migrate(ctx, it.Tenant, r.TenantVersion, shadow, run, release)
	} else if run.Before != nil {
		// No run follows the claim's begin: the row goes back.
		snapErr = errors.Join(snapErr, store.Unbegin(context.WithoutCancel(ctx), *run.Before))
	}
	// A tenant its run's commit released is done, whatever comes after.
	released := release != nil && release.Committed
	if ctx.Err() != nil && !released {
		stopHeartbeat()
		return "", ctx.Err() // the lease lapses; a runner takes the tenant over
	}
	if snapErr == nil && err == nil {
		m.emitTenant(r, it, event.TenantMigrated, "")
		err = m.bake(ctx, it.Tenant) // nothing to probe when released
	}

	state, msg, ev := control.ItemDone, note, event.TenantDone
	var refused *plan.RefusedError
	if errors.As(err, &refused) && refused.Reason == plan.MissingFeatures {
		// The tenant's features changed since the rollout started: it is
		// skipped, as it would have been then, and nothing ran.
		state, msg, ev, err = control.ItemSkipped, "canMigrate: "+refused.Msg, event.TenantSkipped, nil
	}
	// A refused plan, a database another fleet owns, or a tenant removed
	// from the registry ran nothing: there is nothing to roll back (and, in
	// another fleet's database, nothing herd may touch).
	var foreign *execute.OwnerError
	ranNothing := refused != nil || errors.As(err, &foreign) || errors.Is(err, control.ErrTenantNotFound)
	if snapErr != nil || err != nil {
		failed()
	}
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
	if released {
		ok = release.Held
	} else if err := retry.Do(ctx, m.reconnect("release tenant "+it.Tenant), func(ctx context.Context) (err error) {
		ok, err = store.Release(ctx, run.Lease, state, took(), msg)
		return err
	}); err != nil {
		return "", err
	}
	if !ok {
		return "", nil // the lease expired and another runner owns the tenant now
	}
	m.emitTenant(r, it, ev, msg)
	return state, nil
}

// emitTenant emits an event of type typ about tenant it of rollout r.
func (m *Manager) emitTenant(r control.Rollout, it control.Item, typ event.Type, reason string) {
	m.emit(event.Event{Type: typ, Rollout: r.ID, Wave: it.WaveName, Tenant: it.Tenant, From: it.FromVersion, To: r.TenantVersion, Reason: reason})
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
				if ok, err := m.store.Heartbeat(hctx, l, m.settings.Lease); err == nil && !ok {
					return // lost: the final Release will say so
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// migrate brings one tenant to version under the tenant timeout, with the
// health probes watching; a timeout or a failed probe ends the migration
// (on MySQL the running statement is killed on the server) and is the
// error returned.
func (m *Manager) migrate(ctx context.Context, code, version string, shadow bool, run control.Run, release *control.LeaseEnd) error {
	tctx, cancelTimeout := context.WithTimeoutCause(ctx, m.settings.TenantTimeout,
		fmt.Errorf("timed out after %s", m.settings.TenantTimeout))
	defer cancelTimeout()
	tctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	stopWatch := m.watch(tctx, cancel, code)
	var err error
	switch {
	case shadow:
		err = m.fleet.MigrateShadow(tctx, code, "v"+version)
	case run.Tenant == nil:
		// Removed from the registry since the rollout started: the claim
		// began no run.
		err = fmt.Errorf("tenant %q: %w", code, control.ErrTenantNotFound)
	default:
		err = m.fleet.MigrateBegun(tctx, *run.Tenant, "v"+version, run.Before, release)
	}
	probeErr := stopWatch()
	if err == nil {
		return nil
	}
	if cause := context.Cause(tctx); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return errors.Join(err, probeErr)
}

// shadowed reports whether tenant it is migrated by a shadow migration:
// its wave's strategy says so, or, for a large tenant of a wave without
// one, large_tenants' strategy.
func (m *Manager) shadowed(it control.Item, large bool) bool {
	if it.Wave < len(m.settings.Waves) {
		if s := m.settings.Waves[it.Wave].Strategy; s != "" {
			return s == config.StrategyShadow
		}
	}
	return large && m.cfg.LargeTenants.Strategy == config.StrategyShadow
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
