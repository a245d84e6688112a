package execute

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
)

// inTransaction runs a step, its validation and its ledger write in one
// transaction: a failure anywhere leaves the database as it was. A
// transaction that gave up on a lock is run again (see retryLocks).
func (s *Session) inTransaction(ctx context.Context, st prepared) error {
	return s.retryLocks(ctx, st.step, 0, func() error { return s.transaction(ctx, st) })
}

// transaction is one try of inTransaction.
func (s *Session) transaction(ctx context.Context, st prepared) error {
	step := st.step
	tx, err := s.beginTx(ctx)
	if err != nil {
		return s.fail(step, action{}, fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	entry, err := s.stepInTx(ctx, tx, step, st.actions)
	if err != nil {
		return err
	}
	if st.mayLeave {
		if err := s.confined(ctx, tx); err != nil {
			return s.fail(step, action{}, fmt.Errorf("%w (rolled back)", err))
		}
	}
	if err := s.settleLedger(ctx, tx, []plan.Step{step}, entry); err != nil {
		return s.fail(step, action{}, err)
	}
	if err := s.commit(ctx, tx); err != nil {
		return s.fail(step, action{}, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// stepInTx runs a step's statements and its validation in tx. Going up,
// it returns the step's ledger row for the caller to write in tx (see
// settleLedger).
func (s *Session) stepInTx(ctx context.Context, tx *sql.Tx, step plan.Step, actions []action) (*Entry, error) {
	m := step.Migration
	start := s.e.now()
	for _, a := range actions {
		s.emit(event.StatementStarted, step, a.n, 0, nil)
		if err := s.run(ctx, a, tx); err != nil {
			return nil, s.fail(step, a, err)
		}
	}
	if step.Direction == plan.Down {
		return nil, nil
	}
	if err := s.validate(ctx, tx, m); err != nil {
		return nil, s.fail(step, action{}, err)
	}
	entry := s.entry(m, plan.Up, len(actions))
	entry.State, entry.StatementsDone = StateApplied, len(actions)
	entry.ExecutionMS = s.e.now().Sub(start).Milliseconds()
	return &entry, nil
}

// settleLedger writes the ledger of steps run in tx: it removes the rows
// of the steps going down, in one statement, and writes entries.
func (s *Session) settleLedger(ctx context.Context, tx *sql.Tx, steps []plan.Step, entries ...*Entry) error {
	var down []string
	for _, step := range steps {
		if step.Direction == plan.Down {
			down = append(down, step.Migration.ID())
		}
	}
	if len(down) > 0 {
		if err := s.ledger.remove(ctx, tx, down...); err != nil {
			return err
		}
	}
	var rows []Entry
	for _, e := range entries {
		if e != nil {
			rows = append(rows, *e)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return s.record(ctx, tx, rows...)
}
