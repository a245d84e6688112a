package execute

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// RepairAction is what herd repair does to a dirty migration.
type RepairAction string

// The repair actions.
const (
	// Retry runs the dirty migration's remaining statements.
	Retry RepairAction = "retry"
	// Rollback undoes the statements that completed, with the matching
	// statements of the down script (down statement 1 undoes the last up
	// statement), and removes the ledger row.
	Rollback RepairAction = "rollback"
	// MarkApplied records the migration as applied: the operator finished
	// it by hand.
	MarkApplied RepairAction = "mark-applied"
	// MarkRolledBack removes the ledger row: the operator undid it by hand.
	MarkRolledBack RepairAction = "mark-rolled-back"
)

// Uncertain is the operator's word on a statement whose outcome the ledger
// could not know.
type Uncertain string

// The answers about an uncertain statement.
const (
	UncertainUnknown Uncertain = ""
	UncertainRan     Uncertain = "ran"
	UncertainNotRan  Uncertain = "not-ran"
)

// ErrNotDirty is returned by Repair when the database has no dirty
// migration.
var ErrNotDirty = errors.New("nothing to repair: no migration is dirty")

// Repair acts on the database's dirty migration, found in src's target t.
// It returns the entry it repaired, as it was before, and records the
// outcome to rec.
func (s *Session) Repair(ctx context.Context, src *source.Source, t source.Target, action RepairAction, uncertain Uncertain, rec Recorder) (Entry, error) {
	entries, err := s.Ledger(ctx)
	if err != nil {
		return Entry{}, err
	}
	var entry Entry
	for _, e := range entries {
		if e.State == StateDirty {
			entry = e
		}
	}
	if entry.ID == "" {
		return Entry{}, ErrNotDirty
	}
	m := src.Find(t, entry.ID)
	if m == nil {
		return entry, fmt.Errorf("dirty migration %s is not in the source", entry.ID)
	}
	before := entry
	done := entry.StatementsDone
	if entry.Uncertain() {
		switch uncertain {
		case UncertainRan:
			done = entry.StatementStarted
		case UncertainNotRan:
		default:
			if action == Retry || action == Rollback {
				return entry, fmt.Errorf("%s: check the database, then say whether statement %d ran (--uncertain ran|not-ran)", entry.Describe(), entry.StatementStarted)
			}
		}
	}
	start := s.e.now()
	step := plan.Step{Migration: m, Direction: entry.Direction}
	switch action {
	case Retry:
		if err := s.refuseInvalidIndexes(ctx); err != nil {
			return entry, err
		}
		err = s.retry(ctx, step, entry, done)
	case Rollback:
		// The failed statement is not undone by the rollback: an invalid
		// index it left would stay, and a later CREATE INDEX … IF NOT
		// EXISTS would skip it.
		if err := s.refuseInvalidIndexes(ctx); err != nil {
			return entry, err
		}
		if entry.Direction != plan.Up {
			return entry, fmt.Errorf("%s: rollback repairs an interrupted up migration; retry the down instead", entry.ID)
		}
		step.Direction = plan.Down
		err = s.rollbackPartial(ctx, step, entry, done)
	case MarkApplied:
		step.Direction = plan.Up
		entry.State, entry.Error = StateApplied, ""
		entry.StatementsDone, entry.StatementStarted = entry.StatementsTotal, entry.StatementsTotal
		err = s.ledger.write(ctx, s.conn, entry)
	case MarkRolledBack:
		step.Direction = plan.Down
		err = s.ledger.remove(ctx, s.conn, entry.ID)
	default:
		return entry, fmt.Errorf("unknown repair action %q", action)
	}
	if rerr := rec.Record(context.WithoutCancel(ctx), Result{Migration: m, Direction: step.Direction,
		Checksum: entry.Checksum, Started: start, Duration: s.e.now().Sub(start), Err: err}); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return before, err
}

// retry runs the dirty migration's remaining statements; a chunked one
// carries on after its last committed range.
func (s *Session) retry(ctx context.Context, step plan.Step, entry Entry, done int) error {
	if entry.Resumable() {
		return s.step(ctx, s.prepareStep(step), nil)
	}
	actions, err := s.actions(step.Migration, step.Direction)
	if err != nil {
		return err
	}
	if len(actions) != entry.StatementsTotal {
		return fmt.Errorf("%s: the script now has %d statements, the ledger recorded %d; fix the file or mark the migration by hand",
			entry.ID, len(actions), entry.StatementsTotal)
	}
	// The operator retries with the script as it is now: record its checksum.
	entry.Checksum = step.Migration.Checksum(s.e.dialect.Name())
	entry.StatementsDone = done
	if done == len(actions) {
		entry.StatementStarted = done
	}
	return s.outsideTransaction(ctx, step, entry, actions, done+1, false, nil)
}

// rollbackPartial undoes the first done up statements by running the last
// done statements of the down script. A chunked migration's ranges each
// committed, so its down script undoes them whole.
func (s *Session) rollbackPartial(ctx context.Context, step plan.Step, entry Entry, done int) error {
	if entry.Resumable() {
		return s.step(ctx, s.prepareStep(step), nil)
	}
	actions, err := s.actions(step.Migration, plan.Down)
	if err != nil {
		return err
	}
	if len(actions) != entry.StatementsTotal {
		return fmt.Errorf("%s: the down script has %d statements and the up %d, so which undo which is unknown; undo by hand and use --mark rolled-back",
			entry.ID, len(actions), entry.StatementsTotal)
	}
	down := Entry{ID: entry.ID, Version: entry.Version, Kind: entry.Kind, Checksum: entry.Checksum, State: StateDirty,
		Direction: plan.Down, StatementsTotal: len(actions), StatementsDone: len(actions) - done, AppliedAt: s.e.now()}
	down.StatementStarted = down.StatementsDone
	return s.outsideTransaction(ctx, step, down, actions, len(actions)-done+1, false, nil)
}

// refuseInvalidIndexes fails, naming each with the statement that drops
// it, when a failed online index build left an invalid index in the
// database: retried, a CREATE INDEX CONCURRENTLY IF NOT EXISTS would skip
// it and record the migration as applied without a usable index.
func (s *Session) refuseInvalidIndexes(ctx context.Context) error {
	inspector, ok := s.e.dialect.(dialect.IndexInspector)
	if !ok {
		return nil
	}
	invalid, err := inspector.InvalidIndexes(ctx, s.db)
	if err != nil || len(invalid) == 0 {
		return err
	}
	drops := make([]string, len(invalid))
	for i, ix := range invalid {
		drops[i] = fmt.Sprintf("%s (on %s): %s", ix.Index, ix.Table, ix.Drop)
	}
	return fmt.Errorf("a failed index build left %d invalid index(es), which a later run could skip; drop them, then repair: %s",
		len(invalid), strings.Join(drops, "; "))
}
