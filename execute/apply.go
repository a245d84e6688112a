package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// Apply runs the plan's steps in order, recording each to rec, and stops
// at the first failure, which it returns as a *MigrationError. Where every
// step can run in a transaction, the whole path commits as one: a failure
// anywhere leaves the database where the plan found it. Otherwise each
// step commits on its own (or follows the dirty protocol).
func (s *Session) Apply(ctx context.Context, p *plan.Plan, rec Recorder) error {
	if err := s.findPartWalks(ctx, p); err != nil {
		return err
	}
	steps := make([]prepared, len(p.Steps))
	whole := true
	for i, step := range p.Steps {
		steps[i] = s.prepareStep(step)
		whole = whole && steps[i].err == nil && steps[i].transactional
	}
	if whole && len(steps) > 1 {
		return s.applyPath(ctx, steps, rec)
	}
	for i, st := range steps {
		start := s.e.now()
		s.started(st.step)
		err := st.err
		if err == nil {
			var next *prepared
			if i+1 < len(steps) {
				next = &steps[i+1]
			}
			err = s.step(ctx, st, next)
		}
		if err := s.finish(ctx, rec, st.step, start, err); err != nil {
			return s.unopen(ctx, err)
		}
	}
	return nil
}

// prepared is a step with its statements and how it runs.
type prepared struct {
	step          plan.Step
	actions       []action
	transactional bool
	// mayLeave is set when the step may move the session out of the
	// database (see Session.mayLeave).
	mayLeave bool
	err      error
}

// prepareStep reads a step's statements. A migration runs in a transaction
// unless it asks not to, or the engine would commit its DDL implicitly
// part-way (MySQL); data-only and Go migrations run in one on every engine.
// A chunked migration going up runs a transaction per range (see chunked),
// or, with Options.WholeChunks, as one data statement (see wholeRange).
func (s *Session) prepareStep(step plan.Step) prepared {
	m := step.Migration
	actions, err := s.actions(m, step.Direction)
	if err != nil {
		return prepared{step: step, err: s.fail(step, action{}, err)}
	}
	if chunkedUp(step) && !s.inRanges(step) && len(actions) == 1 {
		actions[0] = s.wholeRange(actions[0], m.Chunk)
	}
	tx := !m.NoTransaction && !s.inRanges(step) && (dialect.HasTransactionalDDL(s.e.dialect) || m.Go != nil || onlyDML(actions))
	p := prepared{step: step, actions: actions, transactional: tx}
	p.mayLeave = s.mayLeave(p)
	return p
}

// findPartWalks notes the chunked migrations of p that a run in ranges
// left part-way (Entry.Resumable), when the session runs chunked
// migrations whole (Options.WholeChunks): those carry on in ranges from
// their last committed range (see inRanges), since a whole run would
// change the committed ranges' rows again.
func (s *Session) findPartWalks(ctx context.Context, p *plan.Plan) error {
	s.partWalks = nil
	if !s.e.wholeChunks || s.ledgerMissing || !slices.ContainsFunc(p.Steps, chunkedUp) {
		return nil
	}
	entries, err := s.ledger.read(ctx, s.conn)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Resumable() {
			if s.partWalks == nil {
				s.partWalks = map[string]bool{}
			}
			s.partWalks[e.ID] = true
		}
	}
	return nil
}

// started reports that step started. A stamp read before it does not
// tell what the step changes.
func (s *Session) started(step plan.Step) {
	s.stamp = ""
	s.emit(event.MigrationStarted, step, 0, 0, nil)
}

// finish reports a step's outcome to the event sink and the recorder, and
// returns the step's error, or the recorder's.
func (s *Session) finish(ctx context.Context, rec Recorder, step plan.Step, start time.Time, err error) error {
	res := s.result(step, start, s.e.now().Sub(start), err)
	s.finished(step, res.Duration, err)
	if rerr := rec.Record(context.WithoutCancel(ctx), res); rerr != nil {
		return errors.Join(err, fmt.Errorf("record %s in the control database: %w", step.Migration.ID(), rerr))
	}
	return err
}

// step runs one step on its own; next is the step after it, if any.
func (s *Session) step(ctx context.Context, st prepared, next *prepared) error {
	if s.inRanges(st.step) {
		return s.chunked(ctx, st)
	}
	if st.transactional {
		return s.inTransaction(ctx, st)
	}
	entry := s.entry(st.step.Migration, st.step.Direction, len(st.actions))
	if st.step.Direction == plan.Down {
		return s.outsideTransaction(ctx, st.step, entry, st.actions, 1, false, nil)
	}
	if s.ledgerMissing {
		if err := s.createLedger(ctx, s.conn); err != nil {
			return err
		}
		s.ledgerMissing = false
	}
	// The new row records the first statement as started, so that it
	// needs no write of its own; a first data statement writes the row in
	// its own transaction (see outsideTransaction).
	started := len(st.actions) > 0
	if started {
		entry.StatementStarted = st.actions[0].n
	}
	switch {
	case s.opened == entry.ID:
		if err := ctx.Err(); err != nil {
			return s.unopen(ctx, s.fail(st.step, action{}, err))
		}
		s.opened = ""
	case started && st.actions[0].isDML():
		started = false
	default:
		if err := s.ledger.write(ctx, s.conn, entry); err != nil {
			return err
		}
	}
	return s.outsideTransaction(ctx, st.step, entry, st.actions, 1, started, s.opening(next))
}

// unopen takes back the opening row written ahead for a step that will
// not run (see opening), so that the ledger shows it as never begun, and
// returns err with any failure to do so.
func (s *Session) unopen(ctx context.Context, err error) error {
	if s.opened == "" {
		return err
	}
	id := s.opened
	s.opened = ""
	return errors.Join(err, s.ledger.remove(context.WithoutCancel(ctx), s.conn, id))
}

// opening is the ledger row next would begin with when it is an up step
// that runs outside a transaction: a new row with its first statement
// started. The step before it writes this row in the same statement as
// its own last one, as nothing runs on the database between the two.
func (s *Session) opening(next *prepared) *Entry {
	if next == nil || next.err != nil || next.transactional || next.step.Direction != plan.Up || len(next.actions) == 0 || s.inRanges(next.step) {
		return nil
	}
	e := s.entry(next.step.Migration, plan.Up, len(next.actions))
	e.StatementStarted = next.actions[0].n
	return &e
}

// entry is the ledger row for m at the start of a step.
func (s *Session) entry(m *source.Migration, dir plan.Direction, total int) Entry {
	return Entry{ID: m.ID(), Version: m.Version.String(), Kind: string(m.Kind), Checksum: m.Checksum(s.e.dialect.Name()),
		State: StateDirty, Direction: dir, StatementsTotal: total, AppliedAt: s.e.now(), Note: s.resolvedNote(m, dir)}
}
