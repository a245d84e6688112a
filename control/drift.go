package control

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/drift"
)

// Reference is a version's reference schema on one engine: what the
// tenant migrations on the path to it produce, as a JSON document that
// herd drift writes and reads (control does not look inside).
type Reference struct {
	Engine  string
	Version string
	// PathSum is a digest of the migrations on the path, so that a
	// changed migration has a new reference.
	PathSum string
	Schema  []byte
	BuiltAt time.Time
}

// SetReference records r, replacing a reference with its engine, version
// and path sum.
func (s *Store) SetReference(ctx context.Context, r Reference) error {
	if _, err := s.exec(ctx, s.q.referenceUpsert, r.Engine, r.Version, r.PathSum, string(r.Schema), r.BuiltAt.UTC()); err != nil {
		return fmt.Errorf("control: record the reference schema of %s on %s: %w", r.Version, r.Engine, err)
	}
	return nil
}

// Reference returns the reference recorded for engine, version and
// pathSum; ok is false when there is none.
func (r *Reader) Reference(ctx context.Context, engine, version, pathSum string) (ref Reference, ok bool, err error) {
	var schema string
	err = r.db.DB.QueryRowContext(ctx, r.q.referenceGet, engine, version, pathSum).Scan(&schema, &ref.BuiltAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Reference{}, false, nil
	}
	if err != nil {
		return Reference{}, false, fmt.Errorf("control: read the reference schema of %s on %s: %w", version, engine, err)
	}
	ref.Engine, ref.Version, ref.PathSum, ref.Schema = engine, version, pathSum, []byte(schema)
	return ref, true, nil
}

// Drift is a tenant's last drift check.
type Drift struct {
	Tenant string `json:"tenant"`
	// Version is the version the tenant was compared at.
	Version string `json:"version"`
	drift.Summary
	CheckedAt time.Time `json:"checked_at"`
	// Differences are every difference found, customisations included;
	// Reader.Drifts leaves them out.
	Differences []drift.Difference `json:"differences,omitempty"`
}

// SetDrift records d as tenant d.Tenant's last drift check, replacing the
// one it had.
func (s *Store) SetDrift(ctx context.Context, d Drift) error {
	args, err := driftArgs(d)
	if err == nil {
		_, err = s.exec(ctx, s.q.driftUpsert, args...)
	}
	if err != nil {
		return fmt.Errorf("control: record the drift of tenant %q: %w", d.Tenant, err)
	}
	return nil
}

// driftArgs are the arguments of the drift-upsert query for d.
func driftArgs(d Drift) ([]any, error) {
	diffs := d.Differences
	if diffs == nil {
		diffs = []drift.Difference{}
	}
	b, err := json.Marshal(diffs)
	if err != nil {
		return nil, err
	}
	return []any{d.Tenant, d.Version, string(d.State), d.Drifted, d.Customised, string(b), d.CheckedAt.UTC()}, nil
}

// Drift returns tenant code's last drift check with its differences; ok
// is false when it was never checked.
func (r *Reader) Drift(ctx context.Context, code string) (d Drift, ok bool, err error) {
	var diffs string
	err = r.db.DB.QueryRowContext(ctx, r.q.driftGet, code).Scan(&d.Tenant, &d.Version, &d.State, &d.Drifted, &d.Customised,
		&diffs, &d.CheckedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Drift{}, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(diffs), &d.Differences)
	}
	if err != nil {
		return Drift{}, false, fmt.Errorf("control: read the drift of tenant %q: %w", code, err)
	}
	return d, true, nil
}

// Drifts returns every registered tenant's last drift check, without the
// differences, by tenant code.
func (r *Reader) Drifts(ctx context.Context) (map[string]Drift, error) {
	return byTenant(ctx, r.db.DB, r.q.driftList, "the tenants' drift", func(rows *sql.Rows) (string, Drift, error) {
		var d Drift
		err := rows.Scan(&d.Tenant, &d.Version, &d.State, &d.Drifted, &d.Customised, &d.CheckedAt)
		return d.Tenant, d, err
	})
}

// DriftCounts counts the registered tenants by the state of their last
// drift check; a tenant never checked is not counted.
func (r *Reader) DriftCounts(ctx context.Context) (map[drift.State]int, error) {
	rows, err := r.db.DB.QueryContext(ctx, r.q.driftCount)
	if err != nil {
		return nil, fmt.Errorf("control: count the tenants' drift: %w", err)
	}
	defer rows.Close()
	out := map[drift.State]int{}
	for rows.Next() {
		var st drift.State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("control: count the tenants' drift: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: count the tenants' drift: %w", err)
	}
	return out, nil
}
