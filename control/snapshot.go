package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Snapshot is a rollback point: a copy of a tenant's database taken at a
// version, kept beside it on its server.
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

// AddSnapshot records a snapshot that was taken.
func (s *Store) AddSnapshot(ctx context.Context, sn Snapshot) error {
	var rollout any
	if sn.Rollout != 0 {
		rollout = sn.Rollout
	}
	_, err := s.exec(ctx, s.bind(`INSERT INTO herd_snapshots
		(tenant, server, database_name, snapshot_name, version, rollout_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		sn.Tenant, sn.Server, sn.Database, sn.Name, sn.Version, rollout, sn.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("control: record snapshot of tenant %q: %w", sn.Tenant, err)
	}
	return nil
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

// ExpiredSnapshots returns the kept snapshots taken before cutoff.
func (s *Store) ExpiredSnapshots(ctx context.Context, cutoff time.Time) ([]Snapshot, error) {
	return s.snapshots(ctx, `WHERE dropped_at IS NULL AND created_at < ? ORDER BY id`, cutoff.UTC())
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

// MarkSnapshot records that snapshot id was restored ("restored_at") or
// dropped ("dropped_at").
func (s *Store) MarkSnapshot(ctx context.Context, id int64, column string) error {
	if column != "restored_at" && column != "dropped_at" {
		return fmt.Errorf("control: mark snapshot: unknown column %q", column)
	}
	_, err := s.exec(ctx, s.bind(`UPDATE herd_snapshots SET `+column+` = ? WHERE id = ?`), s.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("control: mark snapshot %d: %w", id, err)
	}
	return nil
}
