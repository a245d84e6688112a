package herd

import (
	"context"
	"sync"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
)

// ShadowRun is a tenant's newest shadow migration as the control database
// records it: its phase while it runs, since when, and its progress where
// herd can tell; once it ended, how. Read through the Fleet, a running one
// whose herd stopped renewing its record is ShadowInterrupted.
type ShadowRun = control.ShadowRun

// ShadowPhase is a phase of a shadow migration (control.ShadowCopy, …).
type ShadowPhase = control.ShadowPhase

// ShadowProgress is how far a phase of a shadow migration got.
type ShadowProgress = control.ShadowProgress

// The states of a ShadowRun.
const (
	ShadowRunning     = control.ShadowRunning
	ShadowSwitched    = control.ShadowSwitched
	ShadowAbandoned   = control.ShadowAbandoned
	ShadowInterrupted = control.ShadowInterrupted
)

// ShadowRun returns tenant code's newest shadow migration, judged by the
// Fleet's clock (a running one whose herd stopped is ShadowInterrupted);
// ok is false when the tenant has none recorded.
func (f *Fleet) ShadowRun(ctx context.Context, code string) (run ShadowRun, ok bool, err error) {
	run, ok, err = f.control.ShadowRun(ctx, code)
	if err != nil || !ok {
		return ShadowRun{}, false, err
	}
	return run.At(f.opts.Now()), true, nil
}

// runningShadowRuns returns the shadow migrations recorded as running, by
// tenant code, judged by the Fleet's clock.
func (f *Fleet) runningShadowRuns(ctx context.Context) (map[string]ShadowRun, error) {
	runs, err := f.control.RunningShadowRuns(ctx)
	if err != nil {
		return nil, err
	}
	now := f.opts.Now()
	out := make(map[string]ShadowRun, len(runs))
	for _, run := range runs {
		out[run.Tenant] = run.At(now)
	}
	return out, nil
}

// shadowRunLease is how far ahead a running shadow migration's record
// holds: the migration renews it every third of it, so the record of a
// killed herd reads as interrupted within it.
const shadowRunLease = 15 * time.Second

// shadowProgressEvery is how often a phase's progress is written at most,
// besides its last value.
const shadowProgressEvery = time.Second

// shadowRecord keeps a shadow migration's record in the control database:
// its phase, its progress and its renewal. A failure to write it is
// logged, not returned: the record is for operators, and the migration's
// outcome does not depend on it. It is safe for concurrent use.
type shadowRecord struct {
	f    *Fleet
	code string
	ref  control.Ref

	mu      sync.Mutex
	written time.Time // when progress was last written
	stop    func()
}

// recordShadowRun records that tenant code's shadow migration from
// version from to version to started, in its first phase, and renews the
// record until end is called.
func (f *Fleet) recordShadowRun(ctx context.Context, code, from, to string) (*shadowRecord, error) {
	now := f.opts.Now()
	run := ShadowRun{Tenant: code, FromVersion: from, ToVersion: to, Phase: control.ShadowCopy, StartedAt: now}
	if err := f.control.BeginShadowRun(ctx, run, now.Add(shadowRunLease)); err != nil {
		return nil, err
	}
	rec := &shadowRecord{f: f, code: code, ref: control.TenantRef(code)}
	rec.stop = keepAlive(ctx, shadowRunLease/3, func(ctx context.Context) {
		if err := f.control.ShadowAlive(ctx, code, f.opts.Now().Add(shadowRunLease)); err != nil && ctx.Err() == nil {
			f.opts.Logger.Warn("herd: renewing the shadow migration's record failed; it may read as interrupted", "database", rec.ref.String(), "err", err)
		}
	})
	return rec, nil
}

// phase records that the migration entered phase, with progress p (nil
// when the phase has no measure).
func (r *shadowRecord) phase(ctx context.Context, phase ShadowPhase, p *ShadowProgress) {
	now := r.f.opts.Now()
	r.mu.Lock()
	r.written = now
	r.mu.Unlock()
	r.f.warn(r.ref, "record the shadow migration's phase", func() error {
		return r.f.control.ShadowPhaseStarted(ctx, r.code, phase, now, p, now.Add(shadowRunLease))
	})
}

// progress records p, the progress of the current phase: at once when
// last (its final value) or when shadowProgressEvery has passed since
// the last write, else not at all.
func (r *shadowRecord) progress(ctx context.Context, p ShadowProgress, last bool) {
	now := r.f.opts.Now()
	r.mu.Lock()
	due := last || now.Sub(r.written) >= shadowProgressEvery
	if due {
		r.written = now
	}
	r.mu.Unlock()
	if !due {
		return
	}
	r.f.warn(r.ref, "record the shadow migration's progress", func() error {
		return r.f.control.ShadowProgressed(ctx, r.code, p, now.Add(shadowRunLease))
	})
}

// steps returns a recorder that passes each step's result to rec and
// records the migrate phase's progress: steps done of total.
func (r *shadowRecord) steps(rec execute.Recorder, total int) execute.Recorder {
	return &stepProgress{rec: rec, record: r, total: int64(total)}
}

// abandoned records that the migration was abandoned, for err, and stops
// renewing the record.
func (r *shadowRecord) abandoned(ctx context.Context, err error) {
	r.end()
	r.f.warn(r.ref, "record the end of the shadow migration", func() error {
		return r.f.control.EndShadowRun(ctx, r.code, err.Error())
	})
}

// end stops renewing the record; the switch ended it (see
// control.Store.SwitchTenant). It may be called more than once.
func (r *shadowRecord) end() {
	r.mu.Lock()
	stop := r.stop
	r.stop = nil
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// stepProgress is a Recorder that counts the migrate phase's steps into
// the shadow migration's record.
type stepProgress struct {
	rec    execute.Recorder
	record *shadowRecord
	total  int64
	done   int64
}

// Record passes res on and, when it succeeded, records the step as done.
func (s *stepProgress) Record(ctx context.Context, res execute.Result) error {
	if err := s.rec.Record(ctx, res); err != nil || res.Err != nil {
		return err
	}
	s.done++
	s.record.progress(ctx, ShadowProgress{Count: s.done, Of: s.total, Unit: "migrations"}, s.done == s.total)
	return nil
}
