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
// step that failed.
func (s *Session) applyPath(ctx context.Context, steps []prepared, rec Recorder) error {
	tx, err := s.beginTx(ctx)
	if err != nil {
		return s.finish(ctx, rec, steps[0].step, s.e.now(), s.fail(steps[0].step, action{}, fmt.Errorf("begin: %w", err)))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	starts := make([]time.Time, len(steps))
	durations := make([]time.Duration, len(steps))
	var entries []*Entry // written together, just before the commit
	for i, st := range steps {
		starts[i] = s.e.now()
		s.started(st.step)
		entry, err := s.stepInTx(ctx, tx, st.step, st.actions)
		if err != nil {
			tx.Rollback() //nolint:errcheck // the step's error is the one to report
			return s.finish(ctx, rec, st.step, starts[i], fmt.Errorf("%w (the path was rolled back whole)", err))
		}
		entries = append(entries, entry)
		durations[i] = s.e.now().Sub(starts[i])
	}
	last := steps[len(steps)-1].step
	// Where the session is is checked once for the whole path, in its
	// transaction: a move anywhere in it rolls all of it back.
	if slices.ContainsFunc(steps, func(st prepared) bool { return st.mayLeave }) {
		if err := s.confined(ctx, tx); err != nil {
			tx.Rollback() //nolint:errcheck // the move is the error to report
			return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{},
				fmt.Errorf("%w (checked at the end of the path, which was rolled back whole)", err)))
		}
	}
	run := make([]plan.Step, len(steps))
	for i, st := range steps {
		run[i] = st.step
	}
	if err := s.settleLedger(ctx, tx, run, entries...); err != nil {
		tx.Rollback() //nolint:errcheck // the ledger's error is the one to report
		return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{}, fmt.Errorf("%w (the path was rolled back whole)", err)))
	}
	if err := s.commit(tx); err != nil {
		return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{}, fmt.Errorf("commit: %w", err)))
	}
	for i, st := range steps {
		m := st.step.Migration
		res := Result{Migration: m, Direction: st.step.Direction, Checksum: m.Checksum(s.e.dialect.Name()),
			Started: starts[i], Duration: durations[i]}
		s.finished(st.step, res.Duration, nil)
		if err := rec.Record(context.WithoutCancel(ctx), res); err != nil {
			return fmt.Errorf("record %s in the control database: %w", m.ID(), err)
		}
	}
	return nil
}
