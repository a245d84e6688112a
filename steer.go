package herd

import (
	"context"
	"fmt"
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
		run, err := f.BeginRollback(ctx, actor, id)
		if err != nil {
			return Steered{Rollout: run.Rollout()}, err
		}
		return run.Run(ctx, nil)
	default:
		return out, &InputError{Err: fmt.Errorf("rollout action %q: want one of pause, resume, abort, retry, rollback", action)}
	}
	return out, err
}
