package control

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Step is one migration step run on a database, as its history records
// it.
type Step struct {
	// Migration is the migration's id ("v1.1.0/004_add_fees").
	Migration string
	Version   string
	Kind      string
	Direction Direction
	Checksum  string
	Started   time.Time
	Duration  time.Duration
	// Err is the step's failure; nil when it succeeded.
	Err error
	// Note is kept as the row's message when the step succeeded.
	Note string
	// LockRetries counts the times the step gave up on a lock and ran
	// again.
	LockRetries int
	// Chunked is set for a chunked migration's step: undone, it ends the
	// migration's chunk progress.
	Chunked bool
}

// HistoryEntry is one row of database_migration_history.
type HistoryEntry struct {
	Ref
	// ID orders a database's history; History's pages start after one.
	ID          int64         `json:"id"`
	Migration   string        `json:"migration"`
	Version     string        `json:"version"`
	Kind        string        `json:"kind"`
	Direction   Direction     `json:"direction"`
	ExecutedAt  time.Time     `json:"executed_at"`
	ExecutionMS int64         `json:"execution_time_ms"`
	Status      HistoryStatus `json:"status"`
	Error       string        `json:"error,omitempty"`
	Checksum    string        `json:"checksum"`
	// LockRetries counts the times the step gave up on a lock and ran
	// again; only Store.HistoryAfter reads it (control schema 1.12.0).
	LockRetries int `json:"lock_retries,omitempty"`
}

// Record writes step to ref's history. It is safe for concurrent use.
func (s *Store) Record(ctx context.Context, ref Ref, step Step) error {
	return s.insertHistory(ctx, s.writer(), ref, []Step{step})
}

// insertHistory writes one history row per step, many to a statement. A
// chunked migration undone (a down step that succeeded) also loses its
// chunk progress: what a part-way walk had done is gone with it.
func (s *Store) insertHistory(ctx context.Context, q execer, ref Ref, steps []Step) error {
	for _, st := range steps {
		if st.Chunked && st.Direction == Down && st.Err == nil {
			if _, err := s.execIn(ctx, q, s.q.chunkProgressDelete, string(ref.Type), ref.Identifier, st.Migration); err != nil {
				return fmt.Errorf("control: end the progress of %s in %s: %w", st.Migration, ref, err)
			}
		}
	}
	return batches(len(steps), func(i, j int) error {
		args := make([]any, 0, 12*many) // the rows, then NULLs
		for _, st := range steps[i:j] {
			status, msg := HistorySuccess, any(nil)
			switch {
			case st.Err != nil:
				status, msg = HistoryFailed, st.Err.Error()
			case st.Direction == Down:
				status = HistoryRolledBack
			}
			if st.Note != "" && st.Err == nil {
				msg = st.Note
			}
			args = append(args, string(ref.Type), ref.Identifier, st.Migration, st.Version, st.Kind,
				string(st.Direction), st.Started.UTC(), st.Duration.Milliseconds(), status, msg, st.Checksum, st.LockRetries)
		}
		if _, err := s.execIn(ctx, q, s.q.historyInsertMany, args[:cap(args)]...); err != nil {
			return fmt.Errorf("control: history of %s: %w", ref, err)
		}
		return nil
	})
}

// History returns ref's history, oldest first.
func (r *Reader) History(ctx context.Context, ref Ref) ([]HistoryEntry, error) {
	return r.history(ctx, ref, r.q.historyList, string(ref.Type), ref.Identifier)
}

// HistoryPage returns at most limit entries of ref's history, oldest
// first, of those whose ID is above after (0: from the first).
func (r *Reader) HistoryPage(ctx context.Context, ref Ref, after int64, limit int) ([]HistoryEntry, error) {
	return r.history(ctx, ref, r.q.historyPage, string(ref.Type), ref.Identifier, after, limit)
}

// HistoryAfter returns at most limit rows of the whole fleet's history,
// every database's, with their lock retries, by ID, of those whose ID is
// above after (0: from the first). A reader that follows the history as
// it grows, such as herd serve's metrics, passes the last ID it saw. IDs
// grow with each insert, but rows inserted by concurrent transactions may
// commit out of ID order, and an engine may skip IDs, so such a reader
// must not take a missing ID as never coming. It is a Store's, not a
// Reader's: the lock retries came with control schema 1.12.0, above
// AttachVersion.
func (s *Store) HistoryAfter(ctx context.Context, after int64, limit int) ([]HistoryEntry, error) {
	return scanHistory(ctx, s.db.DB, "the fleet", true, s.q.historyAfter, after, limit)
}

func (r *Reader) history(ctx context.Context, ref Ref, query string, args ...any) ([]HistoryEntry, error) {
	h, err := scanHistory(ctx, r.db.DB, ref.String(), false, query, args...)
	for i := range h {
		h[i].Ref = ref
	}
	return h, err
}

// scanHistory runs query, whose rows are history entries, with their
// database first and their lock retries last when fleet is set; whose
// names the history in errors.
func scanHistory(ctx context.Context, db *sql.DB, whose string, fleet bool, query string, args ...any) ([]HistoryEntry, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: history of %s: %w", whose, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		var msg sql.NullString
		dest := []any{&h.ID, &h.Migration, &h.Version, &h.Kind, &h.Direction, &h.ExecutedAt, &h.ExecutionMS, &h.Status, &msg, &h.Checksum}
		if fleet {
			dest = append(append([]any{dest[0], &h.Type, &h.Identifier}, dest[1:]...), &h.LockRetries)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("control: history of %s: %w", whose, err)
		}
		h.Error = msg.String
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: history of %s: %w", whose, err)
	}
	return out, nil
}

// Audit appends one entry to the audit log.
func (s *Store) Audit(ctx context.Context, actor, action, subject, detail string) error {
	return s.audit(ctx, s.writer(), actor, action, subject, detail)
}

func (s *Store) audit(ctx context.Context, q execer, actor, action, subject, detail string) error {
	_, err := s.execIn(ctx, q, s.q.auditInsert, s.now().UTC(), actor, action, subject, detail)
	if err != nil {
		return fmt.Errorf("control: audit %s %s: %w", action, subject, err)
	}
	return nil
}
