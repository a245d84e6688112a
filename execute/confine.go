package execute

import (
	"context"
	"errors"
	"fmt"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/plan"
)

// ErrLeftDatabase marks a migration that moved its session out of the
// database (or schema) herd opened it in, with USE, search_path or ATTACH:
// herd stops it before it records it in the ledger, so that no database
// holds a migration whose objects landed elsewhere. In a transaction the
// migration is rolled back; outside one (MySQL DDL) it is left dirty at
// the statement that moved it, which ran, and nothing after it ran.
var ErrLeftDatabase = errors.New("the migration moved its session out of the tenant's database")

// confined checks, through q (the session's connection or its open
// transaction), that the session is still where it was opened. It returns
// an ErrLeftDatabase when it is not, and then Close discards the
// connection rather than return it to the pool elsewhere.
func (s *Session) confined(ctx context.Context, q dialect.RowQuerier) error {
	where, err := s.confine.Left(ctx, q, s.db)
	if err != nil {
		return fmt.Errorf("check that the session is still in %s: %w", s.db.Name, err)
	}
	if where == "" {
		return nil
	}
	s.strayed = true
	return fmt.Errorf("%w: %s; herd stopped before recording the migration", ErrLeftDatabase, where)
}

// mayLeave reports whether a step may move the session: one of its
// actions or its validate statements may.
func (s *Session) mayLeave(st prepared) bool {
	for _, a := range st.actions {
		if a.mayLeave {
			return true
		}
	}
	return st.step.Direction == plan.Up && s.validateMayLeave(st.step.Migration)
}
