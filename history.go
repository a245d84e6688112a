package herd

import (
	"context"
	"log/slog"
	"sync"
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
		Duration: res.Duration, Err: res.Err, Note: res.Note, LockRetries: res.LockRetries, Chunked: m.Chunk != nil}
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
// The walk waits on each write, so a control database that does not
// answer must not slow it down: a write is bounded by progressTimeout,
// and after one fails none is tried for progressBackoff. Safe for
// concurrent use.
type progressRecorder struct {
	store *control.Store
	ref   control.Ref
	now   func() time.Time
	log   *slog.Logger

	mu sync.Mutex
	// failedAt is when the last write failed; zero after one succeeded.
	failedAt time.Time
}

// progressTimeout bounds one write of a migration's progress, and
// progressBackoff is how long no write is tried after one failed: a
// control database that is down costs a walk one timeout a backoff.
const (
	progressTimeout = 2 * time.Second
	progressBackoff = 30 * time.Second
)

// ChunkProgress records p, and logs a failure to: the migration goes on.
func (r *progressRecorder) ChunkProgress(ctx context.Context, migration string, p event.ChunkProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.failedAt.IsZero() && now.Sub(r.failedAt) < progressBackoff {
		return
	}
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
		r.failedAt = now
		r.log.Warn("herd: record a chunked migration's progress failed; the migration goes on, and no progress is recorded for a while",
			"database", r.ref.String(), "migration", migration, "pause", progressBackoff, "err", err)
		return
	}
	r.failedAt = time.Time{}
}
