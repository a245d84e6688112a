package control

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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

// VersionState is a database's row of database_schema_versions.
type VersionState struct {
	Ref
	CurrentVersion string     `json:"current_version"`
	TargetVersion  string     `json:"target_version"`
	Status         Status     `json:"status"`
	StartedAt      *time.Time `json:"started_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	Error          string     `json:"last_error"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Stamp is the schema stamp the last run that recorded one left the
	// database with (see Outcome.Stamp), nil when the row keeps none.
	Stamp *Stamp `json:"-"`
}

// Begin marks ref as running towards target.
func (s *Store) Begin(ctx context.Context, ref Ref, current, target string) error {
	now := s.now().UTC()
	return s.upsert(ctx, ref, s.q.versionBegin, current, target, StatusRunning, now, now)
}

// BeginTenants marks the runs of the tenants with the given codes towards
// target as running, as Begin does for one, in a transaction that may be
// shared with the writes of concurrent runs. A fleet-wide migration marks
// each batch of tenants it hands to its workers this way, instead of
// making one commit per tenant. It returns each tenant's row as it was
// before, in the order of codes, for Unbegin; nil for a tenant that has no
// row (removed meanwhile, or never recorded), which it leaves alone. The
// current versions are left as recorded: each run records where its
// database stands when it ends (Finish or Sync).
func (s *Store) BeginTenants(ctx context.Context, codes []string, target string) ([]*VersionState, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	var before []*VersionState
	err := s.inGroupTx(ctx, func(tx *sql.Tx) (err error) {
		// When a shared batch fails, this runs again in a transaction of
		// its own, and reads the rows again there.
		before, err = s.beginTenants(ctx, tx, codes, target, now)
		return err
	})
	return before, err
}

// beginTenants is BeginTenants in tx, at now.
func (s *Store) beginTenants(ctx context.Context, tx *sql.Tx, codes []string, target string, now time.Time) ([]*VersionState, error) {
	before := make([]*VersionState, len(codes))
	err := batches(len(codes), func(i, j int) error {
		slots := make([]any, many) // the codes, then NULLs
		for k, code := range codes[i:j] {
			slots[k] = code
		}
		found, err := s.versions(ctx, tx, s.q.versionGetMany, append([]any{string(source.Tenant)}, slots...)...)
		if err != nil {
			return err
		}
		byCode := make(map[string]*VersionState, len(found))
		for k := range found {
			byCode[found[k].Identifier] = &found[k]
		}
		for k, code := range codes[i:j] {
			before[i+k] = byCode[code]
		}
		_, err = s.execIn(ctx, tx, s.q.versionBeginMany, append([]any{target, StatusRunning, now, now, string(source.Tenant)}, slots...)...)
		if err != nil {
			return fmt.Errorf("control: mark %d tenants as running: %w", j-i, err)
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
	return s.upsert(ctx, before.Ref, s.q.versionRestore, nullable(before.TargetVersion), before.Status,
		utcPtr(before.StartedAt), utcPtr(before.CompletedAt), nullable(before.Error), before.UpdatedAt.UTC())
}

// End records where ref stands after a run: its current version, and
// completed, or failed with err.
func (s *Store) End(ctx context.Context, ref Ref, current string, err error) error {
	return s.upsert(ctx, ref, s.q.versionEnd, s.endArgs(current, err, nil)...)
}

// endArgs are the arguments of the version-end query before the row's
// key. A row ended without stamp loses the one it had.
func (s *Store) endArgs(current string, err error, stamp *Stamp) []any {
	status, msg := StatusCompleted, any(nil)
	if err != nil {
		status, msg = StatusFailed, err.Error()
	}
	var stampVersion, stampValue any
	if stamp != nil {
		stampVersion, stampValue = stamp.Version, stamp.Value
	}
	now := s.now().UTC()
	return []any{current, status, now, msg, now, stampVersion, stampValue}
}

// Stamp is the schema stamp (dialect.SchemaStamper) a run left a
// database's schema with, at the reference of Version: a later run that
// reads the same stamp knows the schema is still that reference.
type Stamp struct {
	Version string
	Value   string
}

// Outcome is what a run came to, as Finish records it.
type Outcome struct {
	// Current is where the database now stands; Err is the run's
	// failure, nil when it succeeded.
	Current string
	Err     error
	Steps   []Step
	Actor   string
	Detail  string
	// Checked, when set, is the tenant's drift check to record (as
	// SetDrift): a run whose pre-flight found the tenant at its reference
	// leaves it at the next one.
	Checked *Drift
	// Stamp, when set, is the schema stamp the run left the database
	// with at Current's reference; without it the row keeps none.
	Stamp *Stamp
	// Release, when set, also ends a rollout's lease on the tenant, as
	// Store.Release does, in the same transaction: the runner then makes
	// no commit of its own to release the tenant.
	Release *LeaseEnd
}

// Finish records the end of a run in one transaction: the history rows of
// its steps, where ref now stands (as End) with the run's schema stamp, an
// audit entry, the drift check the run made, if any, and the release of
// its rollout lease, if it has one. The transaction may be shared with the
// writes of concurrent runs.
func (s *Store) Finish(ctx context.Context, ref Ref, o Outcome) error {
	var driftRow []any
	if o.Checked != nil {
		var err error
		if driftRow, err = driftArgs(*o.Checked); err != nil {
			return fmt.Errorf("control: record the drift of tenant %q: %w", o.Checked.Tenant, err)
		}
	}
	err := s.inGroupTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertHistory(ctx, tx, ref, o.Steps); err != nil {
			return err
		}
		if err := s.upsertTx(ctx, tx, ref, s.q.versionEnd, s.endArgs(o.Current, o.Err, o.Stamp)); err != nil {
			return err
		}
		if driftRow != nil {
			if _, err := s.execIn(ctx, tx, s.q.driftUpsert, driftRow...); err != nil {
				return fmt.Errorf("control: record the drift of tenant %q: %w", o.Checked.Tenant, err)
			}
		}
		if r := o.Release; r != nil {
			held, err := s.release(ctx, tx, r.Lease, ItemDone, r.Took(), r.Msg)
			if err != nil {
				return err
			}
			r.Held = held
		}
		return s.audit(ctx, tx, o.Actor, "migrate", ref.String(), o.Detail)
	})
	if err == nil && o.Release != nil {
		o.Release.Committed = true
	}
	return err
}

// Sync records ref's current version as found in its ledger when a run
// finds nothing to do: the database is consistent at that version, so a
// status left running or failed by an earlier, interrupted run is
// completed.
func (s *Store) Sync(ctx context.Context, ref Ref, current string) error {
	return s.upsert(ctx, ref, s.q.versionSync, current, StatusCompleted, s.now().UTC())
}

// upsert runs update, one of the version-row updates whose last two
// arguments are the row's key, on ref's row, inserting the row first if
// it is missing, in a transaction that may be shared with the writes of
// concurrent runs. Callers hold the database's migration lock, so one
// writer at a time touches a row.
func (s *Store) upsert(ctx context.Context, ref Ref, update string, args ...any) error {
	return s.inGroupTx(ctx, func(tx *sql.Tx) error { return s.upsertTx(ctx, tx, ref, update, args) })
}

func (s *Store) upsertTx(ctx context.Context, tx *sql.Tx, ref Ref, query string, args []any) error {
	update := func() (int64, error) {
		res, err := s.execIn(ctx, tx, query, append(args[:len(args):len(args)], string(ref.Type), ref.Identifier)...)
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
	if err := tx.QueryRowContext(ctx, s.q.versionExists, string(ref.Type), ref.Identifier).Scan(&n); err != nil {
		return fmt.Errorf("control: version of %s: %w", ref, err)
	}
	if n > 0 {
		return nil
	}
	if err := s.insertVersion(ctx, tx, ref, ""); err != nil {
		return err
	}
	_, err := update()
	return err
}

// insertVersion makes ref's row of database_schema_versions: no version
// yet, pending, towards target ("" for none).
func (s *Store) insertVersion(ctx context.Context, tx *sql.Tx, ref Ref, target string) error {
	now := s.now().UTC()
	_, err := s.execIn(ctx, tx, s.q.versionInsert, string(ref.Type), ref.Identifier, nullable(target), StatusPending, now, now)
	if err != nil {
		return fmt.Errorf("control: version of %s: %w", ref, err)
	}
	return nil
}

// Versions returns every row of database_schema_versions, the system row
// first, then tenants by code.
func (r *Reader) Versions(ctx context.Context) ([]VersionState, error) {
	return r.versions(ctx, r.db.DB, r.q.versionList)
}

// Version returns ref's row; ok is false when it has none yet.
func (r *Reader) Version(ctx context.Context, ref Ref) (v VersionState, ok bool, err error) {
	found, err := r.versions(ctx, r.db.DB, r.q.versionGet, string(ref.Type), ref.Identifier)
	if err != nil || len(found) == 0 {
		return VersionState{}, false, err
	}
	return found[0], true, nil
}

func (r *Reader) versions(ctx context.Context, q querier, query string, args ...any) ([]VersionState, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read versions: %w", err)
	}
	defer rows.Close()
	var out []VersionState
	for rows.Next() {
		var v VersionState
		var target, msg, stampVersion, stamp sql.NullString
		var started, completed sql.NullTime
		if err := rows.Scan(&v.Type, &v.Identifier, &v.CurrentVersion, &target, &v.Status, &started, &completed, &msg, &v.UpdatedAt,
			&stampVersion, &stamp); err != nil {
			return nil, fmt.Errorf("control: read versions: %w", err)
		}
		v.TargetVersion, v.Error = target.String, msg.String
		v.StartedAt, v.CompletedAt = timePtr(started), timePtr(completed)
		if stamp.Valid {
			v.Stamp = &Stamp{Version: stampVersion.String, Value: stamp.String}
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read versions: %w", err)
	}
	return out, nil
}

// Unmark takes back MarkTargets for the given tenants whose rows it left
// untouched since (pending, towards target): a rollout that ended before
// them (aborted) will not migrate them. Their status is again what their
// last run left: failed when an error is recorded, else completed.
func (s *Store) Unmark(ctx context.Context, codes []string, target string) error {
	if len(codes) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		err := batches(len(codes), func(i, j int) error {
			slots := make([]any, many) // the codes, then NULLs
			for k, code := range codes[i:j] {
				slots[k] = code
			}
			_, err := s.execIn(ctx, tx, s.q.versionUnmarkMany, append([]any{StatusCompleted, StatusFailed, now,
				string(source.Tenant), StatusPending, target}, slots...)...)
			return err
		})
		if err != nil {
			return fmt.Errorf("control: unmark %d tenants towards %s: %w", len(codes), target, err)
		}
		return s.bump(ctx, tx)
	})
}

// MarkTargets sets the target version of the given tenants and marks them
// pending, creating their version rows where missing, in one transaction.
func (s *Store) MarkTargets(ctx context.Context, codes []string, target string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		existing := map[string]bool{}
		rows, err := tx.QueryContext(ctx, s.q.versionIdentifiers, string(source.Tenant))
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
		if err := rows.Err(); err != nil {
			return fmt.Errorf("control: mark targets: %w", err)
		}
		now := s.now().UTC()
		for _, code := range codes {
			ref := TenantRef(code)
			if existing[code] {
				_, err = s.execIn(ctx, tx, s.q.versionMark, target, StatusPending, now, string(ref.Type), ref.Identifier)
			} else {
				err = s.insertVersion(ctx, tx, ref, target)
			}
			if err != nil {
				return fmt.Errorf("control: mark target of tenant %q: %w", code, err)
			}
		}
		return s.bump(ctx, tx)
	})
}
