package execute

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/plan"
)

// applyPath runs every step in one transaction and reports them once it
// committed; a failure rolls the whole path back and is reported on the
// step that failed. A path that gave up on a lock is run again (see
// retryLocks).
func (s *Session) applyPath(ctx context.Context, steps []prepared, rec Recorder) error {
	var t pathTry
	err := s.retryLocks(ctx, steps[0].step, 0, func() error {
		t = s.pathTransaction(ctx, steps)
		return t.err
	})
	if err != nil {
		return s.finish(ctx, rec, steps[t.failed].step, t.starts[t.failed], err)
	}
	for i, st := range steps {
		res := s.result(st.step, t.starts[i], t.durations[i], nil)
		s.finished(st.step, res.Duration, nil)
		if err := rec.Record(context.WithoutCancel(ctx), res); err != nil {
			return fmt.Errorf("record %s in the control database: %w", st.step.Migration.ID(), err)
		}
	}
	return nil
}

// pathTry is one try of a path's transaction: when each step started and
// how long it took, and, when it failed, the step it failed on and why.
type pathTry struct {
	starts    []time.Time
	durations []time.Duration
	failed    int
	err       error
}

// pathTransaction is one try of applyPath's transaction.
func (s *Session) pathTransaction(ctx context.Context, steps []prepared) pathTry {
	t := pathTry{starts: make([]time.Time, len(steps)), durations: make([]time.Duration, len(steps))}
	fail := func(i int, err error) pathTry {
		t.failed, t.err = i, err
		if t.starts[i].IsZero() {
			t.starts[i] = s.e.now()
		}
		return t
	}
	last := len(steps) - 1
	tx, err := s.beginTx(ctx)
	if err != nil {
		return fail(0, s.fail(steps[0].step, action{}, fmt.Errorf("begin: %w", err)))
	}
	defer tx.Rollback()  //nolint:errcheck // a no-op after Commit
	var entries []*Entry // written together, just before the commit
	for i, st := range steps {
		t.starts[i] = s.e.now()
		s.started(st.step)
		entry, err := s.stepInTx(ctx, tx, st.step, st.actions)
		if err != nil {
			return fail(i, fmt.Errorf("%w (the path was rolled back whole)", err))
		}
		entries = append(entries, entry)
		t.durations[i] = s.e.now().Sub(t.starts[i])
	}
	// Where the session is is checked once for the whole path, in its
	// transaction: a move anywhere in it rolls all of it back.
	if slices.ContainsFunc(steps, func(st prepared) bool { return st.mayLeave }) {
		if err := s.confined(ctx, tx); err != nil {
			return fail(last, s.fail(steps[last].step, action{},
				fmt.Errorf("%w (checked at the end of the path, which was rolled back whole)", err)))
		}
	}
	run := make([]plan.Step, len(steps))
	for i, st := range steps {
		run[i] = st.step
	}
	if err := s.settleLedger(ctx, tx, run, entries...); err != nil {
		return fail(last, s.fail(steps[last].step, action{}, fmt.Errorf("%w (the path was rolled back whole)", err)))
	}
	if err := s.commit(ctx, tx); err != nil {
		return fail(last, s.fail(steps[last].step, action{}, fmt.Errorf("commit: %w", err)))
	}
	return t
}
