package herd

import (
	"context"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
)

// historyStep is what the control database's history records of one step
// the executor ran.
func historyStep(res execute.Result) control.Step {
	m := res.Migration
	return control.Step{Migration: m.ID(), Version: m.Version.String(), Kind: string(m.Kind),
		Direction: control.Direction(res.Direction), Checksum: res.Checksum, Started: res.Started,
		Duration: res.Duration, Err: res.Err, Note: res.Note}
}

// historyRecorder is an execute.Recorder that writes each step to one
// database's history in the control database as it is reported.
type historyRecorder struct {
	store *control.Store
	ref   control.Ref
}

// Record writes res to the history.
func (r historyRecorder) Record(ctx context.Context, res execute.Result) error {
	return r.store.Record(ctx, r.ref, historyStep(res))
}

// buffer collects a run's steps, for one control-database commit. A
// process killed before that commit loses them; the next run reconciles
// the history from the tenant's ledger.
type buffer []control.Step

// Record appends res.
func (b *buffer) Record(_ context.Context, res execute.Result) error {
	*b = append(*b, historyStep(res))
	return nil
}
