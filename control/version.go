package control

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// SystemIdentifier is the database_identifier of the system database's
// row. The brief used NULL, which a UNIQUE key does not deduplicate.
const SystemIdentifier = "@system"

// Ref names one database in the control database: the system database, or
// a tenant's by its code.
type Ref struct {
	Type       source.Target `json:"type"`
	Identifier string        `json:"identifier"`
}

// SystemRef is the system database's Ref.
var SystemRef = Ref{Type: source.System, Identifier: SystemIdentifier}

// TenantRef returns a tenant's Ref.
func TenantRef(code string) Ref { return Ref{Type: source.Tenant, Identifier: code} }

func (r Ref) String() string {
	if r.Type == source.System {
		return "system"
	}
	return fmt.Sprintf("tenant %q", r.Identifier)
}

// The migration statuses of a database.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// VersionState is a database's row of database_schema_versions.
type VersionState struct {
	Ref
	CurrentVersion string     `json:"current_version"`
	TargetVersion  string     `json:"target_version"`
	Status         string     `json:"status"`
	StartedAt      *time.Time `json:"started_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	Error          string     `json:"last_error"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Begin marks ref as running towards target.
func (s *Store) Begin(ctx context.Context, ref Ref, current, target string) error {
	now := s.now().UTC()
	return s.upsert(ctx, ref, `current_version = ?, target_version = ?, migration_status = ?, migration_started_at = ?,
		migration_completed_at = NULL, migration_error = NULL, updated_at = ?`,
		[]any{current, target, StatusRunning, now, now})
}

// BeginTenants marks the runs of the tenants with the given codes towards
// target as running, as Begin does for one, in a transaction that may be
// shared with the writes of concurrent runs. A fleet-wide migration marks
// each batch of tenants it hands to its workers this way, instead of
// making one write per tenant. It returns each tenant's row as it was
// before, in the order of codes, for Unbegin; nil for a tenant that has no
// row (removed meanwhile, or never recorded), which it leaves alone. The
// current versions are left as recorded: each run records where its
// database stands when it ends (Finish or Sync).
func (s *Store) BeginTenants(ctx context.Context, codes []string, target string) ([]*VersionState, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	marks, args := inList(codes)
	where := `WHERE database_type = ? AND database_identifier IN (` + marks + `)`
	whereArgs := append([]any{string(source.Tenant)}, args...)
	var before []*VersionState
	err := s.inGroupTx(ctx, func(tx *sql.Tx) error {
		// When a shared batch fails, this runs again in a transaction of
		// its own, and reads the rows again there.
		found, err := s.versions(ctx, tx, where, whereArgs...)
		if err != nil {
			return err
		}
		byCode := make(map[string]*VersionState, len(found))
		for i := range found {
			byCode[found[i].Identifier] = &found[i]
		}
		before = make([]*VersionState, len(codes))
		for i, c := range codes {
			before[i] = byCode[c]
		}
		_, err = tx.ExecContext(ctx, s.bind(`UPDATE database_schema_versions SET target_version = ?, migration_status = ?,
			migration_started_at = ?, migration_completed_at = NULL, migration_error = NULL, updated_at = ? `+where),
			append([]any{target, StatusRunning, now, now}, whereArgs...)...)
		if err != nil {
			return fmt.Errorf("control: mark %d tenants as running: %w", len(codes), err)
		}
		return nil
	})
	return before, err
}

// Unbegin puts back a row that BeginTenants marked as running, as it was
// before, when the run ended without recording its outcome: it failed
// before it planned (an input error, which changes nothing), or its
// context ended before it started. The current version is not touched.
func (s *Store) Unbegin(ctx context.Context, before VersionState) error {
	return s.upsert(ctx, before.Ref, `target_version = ?, migration_status = ?, migration_started_at = ?,
		migration_completed_at = ?, migration_error = ?, updated_at = ?`,
		[]any{nullable(before.TargetVersion), before.Status, utcPtr(before.StartedAt), utcPtr(before.CompletedAt),
			nullable(before.Error), before.UpdatedAt.UTC()})
}

// End records where ref stands after a run: its current version, and
// completed, or failed with err.
func (s *Store) End(ctx context.Context, ref Ref, current string, err error) error {
	set, args := s.endSet(current, err)
	return s.upsert(ctx, ref, set, args)
}

func (s *Store) endSet(current string, err error) (string, []any) {
	status, msg := StatusCompleted, any(nil)
	if err != nil {
		status, msg = StatusFailed, err.Error()
	}
	now := s.now().UTC()
	return `current_version = ?, migration_status = ?, migration_completed_at = ?, migration_error = ?, updated_at = ?`,
		[]any{current, status, now, msg, now}
}

// Finish records the end of a run in one transaction: the history rows of
// its steps, where ref now stands (as End), and an audit entry. The
// transaction may be shared with the writes of concurrent runs.
func (s *Store) Finish(ctx context.Context, ref Ref, current string, runErr error, results []execute.Result, actor, detail string) error {
	return s.inGroupTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertHistory(ctx, tx, ref, results); err != nil {
			return err
		}
		set, args := s.endSet(current, runErr)
		if err := s.upsertTx(ctx, tx, ref, set, args); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "migrate", ref.String(), detail)
	})
}

// Sync records ref's current version as found in its ledger when a run
// finds nothing to do: the database is consistent at that version, so a
// status left running or failed by an earlier, interrupted run is
// completed.
func (s *Store) Sync(ctx context.Context, ref Ref, current string) error {
	return s.upsert(ctx, ref, `current_version = ?, migration_status = ?, migration_error = NULL, updated_at = ?`,
		[]any{current, StatusCompleted, s.now().UTC()})
}

// upsert updates ref's row with set, inserting the row first if it is
// missing, in a transaction that may be shared with the writes of
// concurrent runs. Callers hold the database's migration lock, so one
// writer at a time touches a row.
func (s *Store) upsert(ctx context.Context, ref Ref, set string, args []any) error {
	return s.inGroupTx(ctx, func(tx *sql.Tx) error { return s.upsertTx(ctx, tx, ref, set, args) })
}

func (s *Store) upsertTx(ctx context.Context, tx *sql.Tx, ref Ref, set string, args []any) error {
	update := func() (int64, error) {
		res, err := s.execIn(ctx, tx, s.bind(`UPDATE database_schema_versions SET `+set+` WHERE database_type = ? AND database_identifier = ?`),
			append(args, string(ref.Type), ref.Identifier)...)
		if err != nil {
			return 0, fmt.Errorf("control: version of %s: %w", ref, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("control: version of %s: %w", ref, err)
		}
		return n, nil
	}
	// The row is there for every registered tenant (AddTenant makes it),
	// so the update is usually all it takes.
	if n, err := update(); err != nil || n > 0 {
		return err
	}
	// No row matched, or (on MySQL, which counts changed rows) the row
	// already held these values. A plain read decides, not an insert that
	// may collide: on MySQL that would take gap locks, and two first runs
	// would deadlock.
	var n int
	err := tx.QueryRowContext(ctx, s.bind(`SELECT COUNT(*) FROM database_schema_versions WHERE database_type = ? AND database_identifier = ?`),
		string(ref.Type), ref.Identifier).Scan(&n)
	if err != nil {
		return fmt.Errorf("control: version of %s: %w", ref, err)
	}
	if n > 0 {
		return nil
	}
	if err := s.insertVersion(ctx, tx, ref); err != nil {
		return err
	}
	_, err = update()
	return err
}

// insertVersion makes ref's row of database_schema_versions: no version
// yet, pending.
func (s *Store) insertVersion(ctx context.Context, tx *sql.Tx, ref Ref) error {
	now := s.now().UTC()
	_, err := tx.ExecContext(ctx, s.bind(`INSERT INTO database_schema_versions
		(database_type, database_identifier, current_version, migration_status, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?)`),
		string(ref.Type), ref.Identifier, StatusPending, now, now)
	if err != nil {
		return fmt.Errorf("control: version of %s: %w", ref, err)
	}
	return nil
}

const versionColumns = `database_type, database_identifier, current_version, target_version, migration_status,
	migration_started_at, migration_completed_at, migration_error, updated_at`

// Versions returns every row of database_schema_versions, the system row
// first, then tenants by code.
func (s *Store) Versions(ctx context.Context) ([]VersionState, error) {
	return s.versions(ctx, s.db.DB, "")
}

// querier runs a query: the pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) versions(ctx context.Context, q querier, where string, args ...any) ([]VersionState, error) {
	rows, err := q.QueryContext(ctx, s.bind(`SELECT `+versionColumns+` FROM database_schema_versions `+where+
		` ORDER BY database_type, database_identifier`), args...)
	if err != nil {
		return nil, fmt.Errorf("control: read versions: %w", err)
	}
	defer rows.Close()
	var out []VersionState
	for rows.Next() {
		var v VersionState
		var target, msg sql.NullString
		var started, completed sql.NullTime
		if err := rows.Scan(&v.Type, &v.Identifier, &v.CurrentVersion, &target, &v.Status, &started, &completed, &msg, &v.UpdatedAt); err != nil {
			return nil, fmt.Errorf("control: read versions: %w", err)
		}
		v.TargetVersion, v.Error = target.String, msg.String
		v.StartedAt, v.CompletedAt = timePtr(started), timePtr(completed)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read versions: %w", err)
	}
	return out, nil
}

// Version returns ref's row; ok is false when it has none yet.
func (s *Store) Version(ctx context.Context, ref Ref) (v VersionState, ok bool, err error) {
	all, err := s.Versions(ctx)
	for _, v := range all {
		if v.Ref == ref {
			return v, true, nil
		}
	}
	return VersionState{}, false, err
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// HistoryEntry is one row of database_migration_history.
type HistoryEntry struct {
	Ref
	Migration   string         `json:"migration"`
	Version     string         `json:"version"`
	Kind        string         `json:"kind"`
	Direction   plan.Direction `json:"direction"`
	ExecutedAt  time.Time      `json:"executed_at"`
	ExecutionMS int64          `json:"execution_time_ms"`
	Status      string         `json:"status"`
	Error       string         `json:"error,omitempty"`
	Checksum    string         `json:"checksum"`
}

// The statuses of a history row.
const (
	HistorySuccess    = "success"
	HistoryFailed     = "failed"
	HistoryRolledBack = "rolled_back"
)

// Recorder returns an execute.Recorder that writes ref's history.
func (s *Store) Recorder(ref Ref) execute.Recorder { return recorder{s, ref} }

type recorder struct {
	s   *Store
	ref Ref
}

func (r recorder) Record(ctx context.Context, res execute.Result) error {
	return r.s.insertHistory(ctx, r.s.writer(), r.ref, []execute.Result{res})
}

// execer runs a statement: the pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertHistory writes one history row per result, in one statement.
func (s *Store) insertHistory(ctx context.Context, q execer, ref Ref, results []execute.Result) error {
	if len(results) == 0 {
		return nil
	}
	rows := make([]string, len(results))
	args := make([]any, 0, 11*len(results))
	for i, res := range results {
		status, msg := HistorySuccess, any(nil)
		switch {
		case res.Err != nil:
			status, msg = HistoryFailed, res.Err.Error()
		case res.Direction == plan.Down:
			status = HistoryRolledBack
		}
		if res.Note != "" && res.Err == nil {
			msg = res.Note
		}
		m := res.Migration
		rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, string(ref.Type), ref.Identifier, m.ID(), m.Version.String(), string(m.Kind), string(res.Direction),
			res.Started.UTC(), res.Duration.Milliseconds(), status, msg, res.Checksum)
	}
	_, err := s.execIn(ctx, q, s.bind(`INSERT INTO database_migration_history
		(database_type, database_identifier, migration_name, migration_version, migration_type, direction,
		 executed_at, execution_time_ms, status, error_message, checksum) VALUES `+strings.Join(rows, ", ")), args...)
	if err != nil {
		return fmt.Errorf("control: history of %s: %w", ref, err)
	}
	return nil
}

// History returns ref's history, oldest first.
func (s *Store) History(ctx context.Context, ref Ref) ([]HistoryEntry, error) {
	rows, err := s.db.DB.QueryContext(ctx, s.bind(`SELECT migration_name, migration_version, migration_type, direction,
		executed_at, execution_time_ms, status, error_message, checksum
		FROM database_migration_history WHERE database_type = ? AND database_identifier = ? ORDER BY id`),
		string(ref.Type), ref.Identifier)
	if err != nil {
		return nil, fmt.Errorf("control: history of %s: %w", ref, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		h := HistoryEntry{Ref: ref}
		var msg sql.NullString
		if err := rows.Scan(&h.Migration, &h.Version, &h.Kind, &h.Direction, &h.ExecutedAt, &h.ExecutionMS, &h.Status, &msg, &h.Checksum); err != nil {
			return nil, fmt.Errorf("control: history of %s: %w", ref, err)
		}
		h.Error = msg.String
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: history of %s: %w", ref, err)
	}
	return out, nil
}

// Audit appends one entry to the audit log.
func (s *Store) Audit(ctx context.Context, actor, action, subject, detail string) error {
	return s.audit(ctx, s.writer(), actor, action, subject, detail)
}

func (s *Store) audit(ctx context.Context, q execer, actor, action, subject, detail string) error {
	_, err := s.execIn(ctx, q, s.bind(`INSERT INTO herd_audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`),
		s.now().UTC(), actor, action, subject, detail)
	if err != nil {
		return fmt.Errorf("control: audit %s %s: %w", action, subject, err)
	}
	return nil
}

// Unmark takes back MarkTargets for the given tenants whose rows it left
// untouched since (pending, towards target): a rollout that ended before
// them (aborted) will not migrate them. Their status is again what their
// last run left: failed when an error is recorded, else completed.
func (s *Store) Unmark(ctx context.Context, codes []string, target string) error {
	if len(codes) == 0 {
		return nil
	}
	marks, args := inList(codes)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.bind(`UPDATE database_schema_versions SET target_version = NULL,
			migration_status = CASE WHEN migration_error IS NULL THEN ? ELSE ? END, updated_at = ?
			WHERE database_type = ? AND migration_status = ? AND target_version = ? AND database_identifier IN (`+marks+`)`),
			append([]any{StatusCompleted, StatusFailed, s.now().UTC(), "tenant", StatusPending, target}, args...)...)
		if err != nil {
			return fmt.Errorf("control: unmark tenants towards %s: %w", target, err)
		}
		return s.bump(ctx, tx)
	})
}

// MarkTargets sets the target version of the given tenants and marks them
// pending, creating their version rows where missing, in one transaction.
func (s *Store) MarkTargets(ctx context.Context, codes []string, target string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		existing := map[string]bool{}
		rows, err := tx.QueryContext(ctx, s.bind(`SELECT database_identifier FROM database_schema_versions WHERE database_type = ?`), "tenant")
		if err != nil {
			return fmt.Errorf("control: mark targets: %w", err)
		}
		for rows.Next() {
			var code string
			if err := rows.Scan(&code); err != nil {
				rows.Close()
				return fmt.Errorf("control: mark targets: %w", err)
			}
			existing[code] = true
		}
		rows.Close()
		now := s.now().UTC()
		update := s.bind(`UPDATE database_schema_versions SET target_version = ?, migration_status = ?, updated_at = ?
			WHERE database_type = ? AND database_identifier = ?`)
		insert := s.bind(`INSERT INTO database_schema_versions (database_type, database_identifier, current_version,
			target_version, migration_status, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?)`)
		for _, code := range codes {
			if existing[code] {
				_, err = tx.ExecContext(ctx, update, target, StatusPending, now, "tenant", code)
			} else {
				_, err = tx.ExecContext(ctx, insert, "tenant", code, target, StatusPending, now, now)
			}
			if err != nil {
				return fmt.Errorf("control: mark target of tenant %q: %w", code, err)
			}
		}
		return s.bump(ctx, tx)
	})
}
