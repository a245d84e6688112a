package herd

import (
	"context"
	"errors"
	"fmt"

	"github.com/herdhq/herd/control"
)

// RolloutAction is what an operator does to a rollout from outside its
// runners (herd serve's console): see SteerRollout.
type RolloutAction string

// The actions SteerRollout takes.
const (
	// PauseRollout stops runners claiming tenants; those in flight finish.
	PauseRollout RolloutAction = "pause"
	// ResumeRollout reopens a paused or halted rollout; its runners (herd
	// rollout work) carry on.
	ResumeRollout RolloutAction = "resume"
	// AbortRollout ends the rollout; migrated tenants stay migrated.
	AbortRollout RolloutAction = "abort"
	// RetryRollout puts the failed and rolled-back tenants back to
	// pending and reopens the rollout.
	RetryRollout RolloutAction = "retry"
	// RollbackRollout is the emergency rollback: the rollout is aborted
	// when it is not finished, and every tenant it reached goes back to
	// the version it had before the rollout (its rollback point).
	RollbackRollout RolloutAction = "rollback"
)

// RolloutActions returns every RolloutAction, in the order a console
// offers them.
func RolloutActions() []RolloutAction {
	return []RolloutAction{PauseRollout, ResumeRollout, AbortRollout, RetryRollout, RollbackRollout}
}

// Steered is what SteerRollout did.
type Steered struct {
	// Rollout is the rollout after the action.
	Rollout Rollout `json:"rollout"`
	// Retried counts the tenants RetryRollout made pending again.
	Retried int64 `json:"retried,omitempty"`
	// RolledBack are RollbackRollout's outcomes, one per tenant.
	RolledBack []RolledBack `json:"rolled_back,omitempty"`
}

// SteerRollout does action to rollout id on behalf of actor, whom the
// audit log names. A rollout whose state forbids the action (pausing a
// finished one), an unknown rollout or action is an input error that
// changes nothing. RollbackRollout goes on past a tenant it cannot take
// back and returns every tenant's error, joined, besides the outcomes.
// It is safe for concurrent use.
func (f *Fleet) SteerRollout(ctx context.Context, actor string, id int64, action RolloutAction) (Steered, error) {
	m := f.Rollouts(RolloutOptions{Owner: actor}) // the owner is the actor of the transitions' audit entries
	var (
		out Steered
		err error
	)
	switch action {
	case PauseRollout:
		out.Rollout, err = m.Pause(ctx, id)
	case ResumeRollout:
		out.Rollout, err = m.Reopen(ctx, id)
	case AbortRollout:
		out.Rollout, err = m.Abort(ctx, id)
	case RetryRollout:
		out.Rollout, out.Retried, err = m.RetryFailed(ctx, id)
		if err == nil {
			err = f.control.Audit(ctx, actor, "rollout.retry", fmt.Sprint(out.Rollout.ID), fmt.Sprintf("%d failed tenants pending again", out.Retried))
		}
	case RollbackRollout:
		return f.rollbackRollout(ctx, actor, id)
	default:
		return out, &InputError{Err: fmt.Errorf("rollout action %q: want one of pause, resume, abort, retry, rollback", action)}
	}
	return out, err
}

// rollbackRollout aborts rollout id unless it is finished, then takes
// each tenant it reached back to the version it had before it.
func (f *Fleet) rollbackRollout(ctx context.Context, actor string, id int64) (Steered, error) {
	r, err := f.control.Rollout(ctx, id)
	if err != nil {
		return Steered{}, err
	}
	if !r.Finished() {
		if r, err = f.Rollouts(RolloutOptions{Owner: actor}).Abort(ctx, id); err != nil {
			return Steered{Rollout: r}, err
		}
	}
	items, err := f.control.Items(ctx, id)
	if err != nil {
		return Steered{Rollout: r}, err
	}
	out := Steered{Rollout: r}
	var errs []error
	for _, it := range items {
		if it.State == control.ItemSkipped || it.State == control.ItemPending {
			continue
		}
		back := f.rollbackItem(ctx, it)
		out.RolledBack = append(out.RolledBack, back)
		errs = append(errs, back.Err)
	}
	failed := 0
	for _, b := range out.RolledBack {
		if b.Err != nil {
			failed++
		}
	}
	detail := fmt.Sprintf("%d tenants back to their versions before the rollout, %d failed", len(out.RolledBack)-failed, failed)
	errs = append(errs, f.control.Audit(ctx, actor, "rollout.rollback", fmt.Sprint(id), detail))
	return out, errors.Join(errs...)
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
