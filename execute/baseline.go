package execute

import (
	"context"
	"errors"
	"fmt"

	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// ErrLedgerNotEmpty is returned by MarkApplied when the database's ledger
// already records a migration: herd knows the database, and a baseline
// would overwrite what it knows.
var ErrLedgerNotEmpty = errors.New("the ledger already records migrations")

// MarkApplied records ms in the database's ledger as applied, without
// running them: a database that another tool (or a person) brought to
// where ms lead, which herd takes over from there. The rows are written
// as a migration of each would write them (its checksum, its statement
// count), in one transaction, and the ledger table is made if it is
// missing. It refuses, with ErrLedgerNotEmpty and writing nothing, a
// ledger that already holds a row. Each row, and the Result it returns
// for each of ms for the control database's history, carries note.
func (s *Session) MarkApplied(ctx context.Context, ms []*source.Migration, note string) ([]Result, error) {
	entries, err := s.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("%s: %w (%d)", s.db.Name, ErrLedgerNotEmpty, len(entries))
	}
	now := s.e.now()
	rows := make([]Entry, len(ms))
	results := make([]Result, len(ms))
	for i, m := range ms {
		actions, err := s.actions(m, plan.Up)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.ID(), err)
		}
		e := s.entry(m, plan.Up, len(actions))
		e.State, e.StatementsDone, e.StatementStarted, e.Note = StateApplied, len(actions), len(actions), note
		rows[i] = e
		results[i] = Result{Migration: m, Direction: plan.Up, Checksum: e.Checksum, Started: now, Note: note}
	}
	tx, err := s.beginTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: begin: %w", s.db.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.record(ctx, tx, rows...); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", s.db.Name, err)
	}
	if err := s.commit(ctx, tx); err != nil {
		return nil, fmt.Errorf("baseline %s: commit: %w", s.db.Name, err)
	}
	return results, nil
}
