package control

import (
	"context"
	"fmt"
)

// The change counter (control schema v1.4.0): herd_control_changes holds
// one row whose generation grows by one in the same transaction as every
// write that a reader may cache: the tenant registry (AddTenant,
// RemoveTenant), schema version state (Begin, End, Finish, Sync,
// MarkTargets), flag overrides (SetOverride) and rollouts (CreateRollout,
// SetRolloutStatus, Release, RetryItems: what the console's live pages
// show; a claim is followed by the tenant's Begin). A reader such as
// package router polls Generation, one primary-key read, and reloads only
// when it moved. The bump is the last statement of its transaction, so
// the row lock it takes is held only for the commit, and, taken last, it
// cannot close a deadlock cycle.

// bump records a change in the transaction q. Call it last in the
// transaction.
func (s *Store) bump(ctx context.Context, q execer) error {
	if _, err := s.execIn(ctx, q, s.q.generationBump); err != nil {
		return fmt.Errorf("control: record change: %w", err)
	}
	return nil
}

// Generation returns the control database's change counter: a number that
// grows with every committed change to the tenant registry, to a tenant's
// (or the system's) schema version state, to a flag override or to a
// rollout's or its tenants' state. Two equal
// generations read from the same control database mean that none of these
// changed in between; the number says nothing else (it may jump by more
// than one, and it is not comparable across control databases). It is
// one query, safe for concurrent use, and fails only when the control
// database does.
func (r *Reader) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := r.db.DB.QueryRowContext(ctx, r.q.generationGet).Scan(&g); err != nil {
		return 0, fmt.Errorf("control: read generation: %w", err)
	}
	return g, nil
}
