package execute

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
)

// inTransaction runs a step, its validation and its ledger write in one
// transaction: a failure anywhere leaves the database as it was.
func (s *Session) inTransaction(ctx context.Context, st prepared) error {
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
	if entry != nil {
		if err := s.record(ctx, tx, *entry); err != nil {
			return s.fail(step, action{}, err)
		}
	}
	if err := s.commit(tx); err != nil {
		return s.fail(step, action{}, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// stepInTx runs a step's statements and its validation in tx. Going
// down, it removes the step's ledger row in tx; going up, it returns the
// row for the caller to write in tx.
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
		if err := s.ledger.remove(ctx, tx, m.ID()); err != nil {
			return nil, s.fail(step, action{}, err)
		}
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
