package herd

import (
	"context"
	"errors"
	"fmt"

	"github.com/herdhq/herd/control"
)

// RolloutRollback is a rollout's emergency rollback as the control
// database records it while it goes.
type RolloutRollback = control.RolloutRollback

// ErrRollbackInterrupted is wrapped by the error of a RollbackRun whose
// context ended before its last tenant: the tenants left did not go back.
var ErrRollbackInterrupted = errors.New("emergency rollback interrupted")

// RollbackRun is a rollout's emergency rollback, begun by BeginRollback;
// Run takes its tenants back.
type RollbackRun struct {
	f       *Fleet
	actor   string
	rollout Rollout
	// reached are the tenants the rollout reached: those it did not skip
	// or leave pending.
	reached []control.Item
	rec     control.RolloutRollback
}

// BeginRollback begins the emergency rollback of rollout id on behalf
// of actor, whom the audit log names: the rollout is aborted unless it
// is finished, and the rollback is recorded, running, with the tenants
// it will take back, and audited. Run does the rest. An unknown rollout
// is an error wrapping control.ErrRolloutNotFound and changes nothing;
// a failure after the abort returns the run (never nil) with the
// rollout as it is. While a rollback of the rollout runs, begun by this
// process or another, and has not stalled (control.RollbackStaleAfter
// without a sign of life: its process is gone), the error wraps
// control.ErrRollbackRunning and no second one begins.
func (f *Fleet) BeginRollback(ctx context.Context, actor string, id int64) (*RollbackRun, error) {
	run := &RollbackRun{f: f, actor: actor}
	r, err := f.control.Rollout(ctx, id)
	if err != nil {
		return run, err
	}
	run.rollout = r
	if !r.Finished() {
		if run.rollout, err = f.Rollouts(RolloutOptions{Owner: actor}).Abort(ctx, id); err != nil {
			return run, err
		}
	}
	items, err := f.control.Items(ctx, id)
	if err != nil {
		return run, err
	}
	for _, it := range items {
		if it.State != control.ItemSkipped && it.State != control.ItemPending {
			run.reached = append(run.reached, it)
		}
	}
	run.rec = control.RolloutRollback{Rollout: id, Actor: actor, Status: control.RollbackRunning,
		FromVersion: commonFromVersion(run.reached), Tenants: len(run.reached)}
	if err := f.control.BeginRollback(ctx, run.rec); err != nil {
		return run, err
	}
	return run, f.control.Audit(ctx, actor, "rollout.rollback.start", fmt.Sprint(id),
		fmt.Sprintf("%d tenants to take back to their versions before the rollout", len(run.reached)))
}

// commonFromVersion returns the version every item had before its
// rollout, or "" when they had different ones.
func commonFromVersion(items []control.Item) string {
	if len(items) == 0 {
		return ""
	}
	for _, it := range items[1:] {
		if it.FromVersion != items[0].FromVersion {
			return ""
		}
	}
	return items[0].FromVersion
}

// Rollout returns the rollout as BeginRollback left it: aborted, unless
// it was finished before.
func (run *RollbackRun) Rollout() Rollout { return run.rollout }

// Run takes each tenant the rollout reached back to the version it had
// before the rollout, one after the other, recording the counts in the
// control database after each and handing each outcome to each (nil for
// none). It goes on past a tenant it cannot take back. Once ctx is done
// it starts no other tenant: the one in flight finishes (its work is not
// cancelled), the rollback is recorded interrupted and the error wraps
// ErrRollbackInterrupted. Each tenant that did not go back is audited
// (rollout.rollback.failed, the tenant as subject), and so is the end,
// under the actor's name (rollout.rollback, or
// rollout.rollback.interrupted). It returns the
// outcomes with every tenant's error, joined. Run once.
func (run *RollbackRun) Run(ctx context.Context, each func(RolledBack)) (Steered, error) {
	work := context.WithoutCancel(ctx) // a tenant half taken back is the worst outcome
	defer run.heartbeat(work)()
	out := Steered{Rollout: run.rollout}
	var errs []error
	for _, it := range run.reached {
		if ctx.Err() != nil {
			break
		}
		back := run.f.rollbackItem(work, it)
		out.RolledBack = append(out.RolledBack, back)
		errs = append(errs, back.Err)
		if back.Err != nil {
			run.rec.Failed++
			run.rec.LastError = back.Err.Error()
			errs = append(errs, run.f.control.Audit(work, run.actor, "rollout.rollback.failed", back.Tenant,
				fmt.Sprintf("rollout %d: %v", run.rollout.ID, back.Err)))
		} else {
			run.rec.RolledBack++
		}
		errs = append(errs, run.f.control.RecordRollback(work, run.rec))
		if each != nil {
			each(back)
		}
	}
	action, detail := "rollout.rollback", fmt.Sprintf("%d tenants back to their versions before the rollout, %d failed", run.rec.RolledBack, run.rec.Failed)
	run.rec.Status = control.RollbackDone
	if left := run.rec.Left(); left > 0 {
		run.rec.Status, action = control.RollbackInterrupted, "rollout.rollback.interrupted"
		detail += fmt.Sprintf(", %d left at the rollout's version", left)
		errs = append(errs, fmt.Errorf("rollout %d: %w with %d tenants left: %w", run.rollout.ID, ErrRollbackInterrupted, left, ctx.Err()))
	}
	errs = append(errs, run.f.control.RecordRollback(work, run.rec),
		run.f.control.Audit(work, run.actor, action, fmt.Sprint(run.rollout.ID), detail))
	return out, errors.Join(errs...)
}

// heartbeat shows the rollback alive in the control database every
// control.RollbackHeartbeat until the returned function is called, so
// that no other process begins it again while a tenant takes long (see
// control.RolloutRollback.Stalled). A failed touch is logged: the next
// may succeed, and the rollback goes on.
func (run *RollbackRun) heartbeat(ctx context.Context) (stop func()) {
	return keepAlive(ctx, control.RollbackHeartbeat, func(alive context.Context) {
		ctx, cancel := context.WithTimeout(alive, control.RollbackHeartbeat)
		defer cancel()
		if err := run.f.control.TouchRollback(ctx, run.rollout.ID); err != nil && alive.Err() == nil {
			run.f.opts.Logger.Warn("herd: show the emergency rollback alive failed; it goes on", "rollout", run.rollout.ID, "err", err)
		}
	})
}

// rollbackItem takes a rollout's tenant back to the version it had before
// the rollout.
func (f *Fleet) rollbackItem(ctx context.Context, it control.Item) RolledBack {
	if it.FromVersion == "" {
		return RolledBack{Tenant: it.Tenant, Err: fmt.Errorf("tenant %s had no schema version before the rollout: nothing to go back to", it.Tenant)}
	}
	req := RollbackRequest{To: "v" + it.FromVersion, Tenant: it.Tenant}
	version, err := f.resolveTarget(TenantDatabase, req.To)
	if err != nil {
		return RolledBack{Tenant: it.Tenant, Err: err}
	}
	return f.rollbackTenant(ctx, it.Tenant, req, version)
}
