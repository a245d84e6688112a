package herd

import (
	"context"
	"log/slog"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
)

// historyStep is what the control database's history records of one step
// the executor ran.
func historyStep(res execute.Result) control.Step {
	m := res.Migration
	return control.Step{Migration: m.ID(), Version: m.Version.String(), Kind: string(m.Kind),
		Direction: control.Direction(res.Direction), Checksum: res.Checksum, Started: res.Started,
		Duration: res.Duration, Err: res.Err, Note: res.Note, LockRetries: res.LockRetries}
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

// progressRecorder is an execute.ProgressRecorder that keeps one
// database's chunked migrations' progress in the control database, for
// herd serve's /metrics, and forgets a migration's once its walk is done.
type progressRecorder struct {
	store *control.Store
	ref   control.Ref
	now   func() time.Time
	log   *slog.Logger
}

// progressTimeout bounds one write of a migration's progress: the walk
// waits on it.
const progressTimeout = 5 * time.Second

// ChunkProgress records p, and logs a failure to: the migration goes on.
func (r progressRecorder) ChunkProgress(ctx context.Context, migration string, p event.ChunkProgress) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), progressTimeout)
	defer cancel()
	var err error
	if p.Done {
		err = r.store.EndChunkProgress(ctx, r.ref, migration)
	} else {
		err = r.store.SetChunkProgress(ctx, control.ChunkProgress{Ref: r.ref, Migration: migration, Table: p.Table,
			LastKey: p.To, Rows: p.Rows, Share: p.Share, UpdatedAt: r.now()})
	}
	if err != nil {
		r.log.Warn("herd: record a chunked migration's progress failed; the migration goes on", "database", r.ref.String(),
			"migration", migration, "err", err)
	}
}
