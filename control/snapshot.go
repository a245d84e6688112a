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
		id, err = s.insertID(ctx, tx, s.bind(`INSERT INTO herd_snapshots
			(tenant, server, database_name, snapshot_name, version, rollout_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			sn.Tenant, sn.Server, sn.Database, sn.Name, sn.Version, rollout, sn.CreatedAt.UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("control: record snapshot of tenant %q: %w", sn.Tenant, err)
	}
	return id, nil
}

const snapshotColumns = `id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at`

// LatestSnapshot returns the tenant's newest kept snapshot at version, or
// an error wrapping ErrNoSnapshot.
func (s *Store) LatestSnapshot(ctx context.Context, tenant, version string) (Snapshot, error) {
	sns, err := s.snapshots(ctx, `WHERE tenant = ? AND version = ? AND dropped_at IS NULL ORDER BY id DESC`, tenant, version)
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
func (s *Store) Snapshots(ctx context.Context, tenant string) ([]Snapshot, error) {
	if tenant == "" {
		return s.snapshots(ctx, `WHERE dropped_at IS NULL ORDER BY created_at, id`)
	}
	return s.snapshots(ctx, `WHERE tenant = ? AND dropped_at IS NULL ORDER BY created_at, id`, tenant)
}

// Snapshot returns kept snapshot id, or an error wrapping ErrNoSnapshot.
func (s *Store) Snapshot(ctx context.Context, id int64) (Snapshot, error) {
	sns, err := s.snapshots(ctx, `WHERE id = ? AND dropped_at IS NULL`, id)
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
		if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM herd_snapshots WHERE id = ?`), sn.ID); err != nil {
			return fmt.Errorf("control: remove snapshot %d of tenant %q: %w", sn.ID, sn.Tenant, err)
		}
		return s.audit(ctx, tx, actor, "snapshot.drop", sn.Tenant, detail)
	})
}

func (s *Store) snapshots(ctx context.Context, where string, args ...any) ([]Snapshot, error) {
	rows, err := s.db.DB.QueryContext(ctx, s.bind(`SELECT `+snapshotColumns+` FROM herd_snapshots `+where), args...)
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
	_, err := s.exec(ctx, s.bind(`UPDATE herd_snapshots SET restored_at = ? WHERE id = ?`), s.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("control: mark snapshot %d restored: %w", id, err)
	}
	return nil
}
