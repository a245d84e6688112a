package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Snapshot is a rollback point: a copy of a tenant's database taken at a
// version, kept beside it on its server. A snapshot that is dropped loses
// its record; records that earlier versions of herd marked dropped_at
// instead are not kept snapshots, and are never returned.
type Snapshot struct {
	ID         int64      `json:"id"`
	Tenant     string     `json:"tenant"`
	Server     string     `json:"server"`
	Database   string     `json:"database"`
	Name       string     `json:"snapshot"`
	Version    string     `json:"version"`
	Rollout    int64      `json:"rollout,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	RestoredAt *time.Time `json:"restored_at,omitempty"`
}

// ErrNoSnapshot is returned when a tenant has no snapshot at a version.
var ErrNoSnapshot = errors.New("no snapshot")

// AddSnapshot records a snapshot that was taken and returns its id.
func (s *Store) AddSnapshot(ctx context.Context, sn Snapshot) (int64, error) {
	var rollout any
	if sn.Rollout != 0 {
		rollout = sn.Rollout
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.insertID(ctx, tx, s.q.snapshotInsert, sn.Tenant, sn.Server, sn.Database, sn.Name, sn.Version, rollout, sn.CreatedAt.UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("control: record snapshot of tenant %q: %w", sn.Tenant, err)
	}
	return id, nil
}

// LatestSnapshot returns the tenant's newest kept snapshot at version, or
// an error wrapping ErrNoSnapshot.
func (r *Reader) LatestSnapshot(ctx context.Context, tenant, version string) (Snapshot, error) {
	sns, err := r.snapshots(ctx, r.q.snapshotLatest, tenant, version)
	if err != nil {
		return Snapshot{}, err
	}
	if len(sns) == 0 {
		return Snapshot{}, fmt.Errorf("tenant %q at v%s: %w", tenant, version, ErrNoSnapshot)
	}
	return sns[0], nil
}

// Snapshots returns the kept snapshots, of tenant alone unless tenant is
// "", oldest first.
func (r *Reader) Snapshots(ctx context.Context, tenant string) ([]Snapshot, error) {
	if tenant == "" {
		return r.snapshots(ctx, r.q.snapshotList)
	}
	return r.snapshots(ctx, r.q.snapshotListTenant, tenant)
}

// Snapshot returns kept snapshot id, or an error wrapping ErrNoSnapshot.
func (r *Reader) Snapshot(ctx context.Context, id int64) (Snapshot, error) {
	sns, err := r.snapshots(ctx, r.q.snapshotGet, id)
	if err != nil {
		return Snapshot{}, err
	}
	if len(sns) == 0 {
		return Snapshot{}, fmt.Errorf("snapshot %d: %w", id, ErrNoSnapshot)
	}
	return sns[0], nil
}

// DeleteSnapshot removes the record of snapshot sn, whose copy is gone
// from its server, and audits it as done by actor, with detail, in one
// transaction. A record already removed is not an error.
func (s *Store) DeleteSnapshot(ctx context.Context, sn Snapshot, actor, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q.snapshotDelete, sn.ID); err != nil {
			return fmt.Errorf("control: remove snapshot %d of tenant %q: %w", sn.ID, sn.Tenant, err)
		}
		return s.audit(ctx, tx, actor, "snapshot.drop", sn.Tenant, detail)
	})
}

func (r *Reader) snapshots(ctx context.Context, query string, args ...any) ([]Snapshot, error) {
	rows, err := r.db.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read snapshots: %w", err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		var sn Snapshot
		var rollout sql.NullInt64
		var restored sql.NullTime
		if err := rows.Scan(&sn.ID, &sn.Tenant, &sn.Server, &sn.Database, &sn.Name, &sn.Version, &rollout, &sn.CreatedAt, &restored); err != nil {
			return nil, fmt.Errorf("control: read snapshots: %w", err)
		}
		sn.Rollout, sn.RestoredAt = rollout.Int64, timePtr(restored)
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read snapshots: %w", err)
	}
	return out, nil
}

// MarkRestored records that snapshot id was restored, now.
func (s *Store) MarkRestored(ctx context.Context, id int64) error {
	_, err := s.exec(ctx, s.q.snapshotMarkRestored, s.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("control: mark snapshot %d restored: %w", id, err)
	}
	return nil
}
