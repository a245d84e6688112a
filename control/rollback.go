package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RollbackStatus is the state of a rollout's emergency rollback.
type RollbackStatus string

// The states of an emergency rollback.
const (
	// RollbackRunning is a rollback taking tenants back now.
	RollbackRunning RollbackStatus = "running"
	// RollbackDone is a rollback that went through every tenant it
	// reached, whether or not each went back.
	RollbackDone RollbackStatus = "done"
	// RollbackInterrupted is a rollback stopped before its last tenant
	// (its process was told to stop): the tenants left are at the
	// rollout's version still.
	RollbackInterrupted RollbackStatus = "interrupted"
)

// RolloutRollback is a rollout's emergency rollback as it goes: how many
// of the tenants the rollout reached went back and how many failed to.
type RolloutRollback struct {
	Rollout int64          `json:"rollout"`
	Actor   string         `json:"actor"`
	Status  RollbackStatus `json:"status"`
	// FromVersion is the tenant schema version every tenant it reached
	// had before the rollout; "" when they had different ones.
	FromVersion string `json:"from_version"`
	// Tenants counts the tenants it takes back; RolledBack and Failed,
	// those done so far.
	Tenants    int `json:"tenants"`
	RolledBack int `json:"rolled_back"`
	Failed     int `json:"failed"`
	// LastError is the newest tenant's failure, if any.
	LastError  string     `json:"last_error,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Left counts the tenants the rollback has not taken back yet.
func (rb RolloutRollback) Left() int { return rb.Tenants - rb.RolledBack - rb.Failed }

// BeginRollback records rb, running, as its rollout's emergency
// rollback, in place of any earlier one, and moves the change counter.
func (s *Store) BeginRollback(ctx context.Context, rb RolloutRollback) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.execIn(ctx, tx, s.q.rollbackBegin, rb.Rollout, rb.Actor, RollbackRunning, rb.FromVersion, rb.Tenants,
			0, 0, nil, now, now, nil); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: begin the rollback of rollout %d: %w", rb.Rollout, err)
	}
	return nil
}

// RecordRollback writes rb's status, counts and last error, finished
// when its status is not running, and moves the change counter.
func (s *Store) RecordRollback(ctx context.Context, rb RolloutRollback) error {
	now := s.now().UTC()
	var finished any
	if rb.Status != RollbackRunning {
		finished = now
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.execIn(ctx, tx, s.q.rollbackUpdate, rb.Status, rb.RolledBack, rb.Failed, nullable(rb.LastError), now,
			finished, rb.Rollout); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: record the rollback of rollout %d: %w", rb.Rollout, err)
	}
	return nil
}

// Rollback returns rollout id's newest emergency rollback; ok is false
// when it has none.
func (r *Reader) Rollback(ctx context.Context, id int64) (rb RolloutRollback, ok bool, err error) {
	var lastErr sql.NullString
	var finished sql.NullTime
	err = r.db.DB.QueryRowContext(ctx, r.q.rollbackGet, id).Scan(&rb.Rollout, &rb.Actor, &rb.Status, &rb.FromVersion, &rb.Tenants,
		&rb.RolledBack, &rb.Failed, &lastErr, &rb.StartedAt, &rb.UpdatedAt, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return RolloutRollback{}, false, nil
	}
	if err != nil {
		return RolloutRollback{}, false, fmt.Errorf("control: read the rollback of rollout %d: %w", id, err)
	}
	rb.LastError, rb.FinishedAt = lastErr.String, timePtr(finished)
	return rb, true, nil
}

// Leases returns, by runner, how many of rollout id's tenants a runner
// holds an unexpired lease on now, by the control database's clock. A
// runner that claims no tenant (none is left, or the rollout is not
// running) holds none.
func (r *Reader) Leases(ctx context.Context, id int64) (map[string]int, error) {
	rows, err := r.db.DB.QueryContext(ctx, r.q.itemLeases, id, ItemRunning)
	if err != nil {
		return nil, fmt.Errorf("control: read rollout %d's leases: %w", id, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			return nil, fmt.Errorf("control: read rollout %d's leases: %w", id, err)
		}
		out[owner] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read rollout %d's leases: %w", id, err)
	}
	return out, nil
}
