package execute

import (
	"context"
	"errors"
	"fmt"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
)

// outsideTransaction runs actions from number from on, recording each
// statement as started before it runs and as done after: the first start
// on its own (unless started says the ledger already records it, or the
// first statement is a data statement, whose transaction writes the row:
// until it commits the migration has not begun), then
// each "k done" in the same write as "k+1 started", and the last "done" in
// the write that ends the migration, which also writes next, the opening
// row of the step that follows, when there is one. A data statement runs
// in a transaction with its "done" write, so that it is never uncertain:
// after a kill it either ran and says so or did not run. A statement that
// fails is recorded with its error; another statement interrupted by the
// end of ctx is left started but not done, because it may still complete
// on the server.
func (s *Session) outsideTransaction(ctx context.Context, step plan.Step, entry Entry, actions []action, from int, started bool, next *Entry) error {
	m := step.Migration
	start := s.e.now()
	todo := actions[from-1:]
	for i, a := range todo {
		if i == 0 && !started {
			entry.StatementStarted, entry.Error = a.n, ""
			// A data statement writes the row in its own transaction (below).
			if !a.isDML() {
				if err := s.ledger.write(ctx, s.conn, entry); err != nil {
					return s.fail(step, a, err)
				}
			}
		}
		s.emit(event.StatementStarted, step, a.n, 0, nil)
		done := entry
		done.StatementsDone = a.n
		if i+1 < len(todo) {
			done.StatementStarted = todo[i+1].n
		}
		// A data statement runs in a transaction of its own, which a lock
		// timeout rolls back: it runs again.
		if a.isDML() {
			if err := s.retryLocks(ctx, step, a.n, func() error { return s.runRecorded(ctx, a, done) }); err != nil {
				return s.failDirty(ctx, step, entry, a, err)
			}
			entry = done
			continue
		}
		if err := s.runOutside(ctx, step, a); err != nil {
			var lockErr *LockError
			if a.n == 1 && step.Direction == plan.Up && errors.As(err, &lockErr) {
				// The migration's first statement never began: the
				// ledger shows the migration as never begun either.
				return s.fail(step, a, errors.Join(err, s.ledger.remove(context.WithoutCancel(ctx), s.conn, m.ID())))
			}
			return s.failDirty(ctx, step, entry, a, err)
		}
		if a.mayLeave {
			if err := s.confined(ctx, s.conn); err != nil {
				ran := entry // a ran, and nothing after it
				ran.StatementsDone = a.n
				return s.failDirty(ctx, step, ran, a, err)
			}
		}
		entry = done
		if i+1 < len(todo) {
			if err := s.ledger.write(ctx, s.conn, entry); err != nil {
				return s.fail(step, a, err)
			}
		}
	}
	if step.Direction == plan.Down {
		if err := s.ledger.remove(ctx, s.conn, m.ID()); err != nil {
			return s.fail(step, action{}, err)
		}
		return nil
	}
	if err := s.validate(ctx, s.conn, m); err != nil {
		return s.failDirty(ctx, step, entry, action{}, err)
	}
	if s.validateMayLeave(m) {
		if err := s.confined(ctx, s.conn); err != nil {
			return s.failDirty(ctx, step, entry, action{}, err)
		}
	}
	entry.State, entry.Error, entry.AppliedAt = StateApplied, "", s.e.now()
	entry.ExecutionMS = s.e.now().Sub(start).Milliseconds()
	rows := []Entry{entry}
	if next != nil {
		rows = append(rows, *next)
	}
	if err := s.ledger.write(ctx, s.conn, rows...); err != nil {
		return s.fail(step, action{}, err)
	}
	if next != nil {
		s.opened = next.ID
	}
	return nil
}

// runOutside runs a statement outside a transaction. Where DDL cannot run
// in a transaction (MySQL), a statement that gave up on a lock had not
// begun (it waits for its metadata lock first) and runs again; elsewhere a
// statement run outside a transaction is one that may stop part-way
// (PostgreSQL's CREATE INDEX CONCURRENTLY leaves an invalid index), and it
// is not retried.
func (s *Session) runOutside(ctx context.Context, step plan.Step, a action) error {
	if dialect.HasTransactionalDDL(s.e.dialect) {
		return s.run(ctx, a, s.conn)
	}
	return s.retryLocks(ctx, step, a.n, func() error { return s.run(ctx, a, s.conn) })
}

// runRecorded runs a data statement and writes done, its ledger row once
// it ran, in one transaction.
func (s *Session) runRecorded(ctx context.Context, a action, done Entry) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.run(ctx, a, tx); err != nil {
		return err
	}
	if a.mayLeave {
		if err := s.confined(ctx, tx); err != nil {
			return err
		}
	}
	if err := s.ledger.write(ctx, tx, done); err != nil {
		return err
	}
	return tx.Commit()
}

// failDirty records a failed statement (or validation) in the ledger and
// returns the error. When ctx has ended the statement's fate is unknown,
// and the row is left as "started, not done".
func (s *Session) failDirty(ctx context.Context, step plan.Step, entry Entry, a action, err error) error {
	if ctx.Err() == nil {
		entry.Error = err.Error()
		if a.n == 0 {
			entry.Error = "validate: " + entry.Error
		}
		if uerr := s.ledger.write(ctx, s.conn, entry); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	return s.fail(step, a, err)
}
