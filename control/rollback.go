package control

import (
	"cmp"
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

// ErrRollbackRunning is wrapped by BeginRollback's error when the
// rollout's emergency rollback is running already, in this process or
// another, and has shown life within RollbackStaleAfter.
var ErrRollbackRunning = errors.New("an emergency rollback of the rollout is running already")

// A running rollback shows life: its process writes its counts after each
// tenant and touches it (TouchRollback) every RollbackHeartbeat between
// them. One that has not for RollbackStaleAfter is stalled: its process
// is gone (killed, or its machine lost) without recording the end.
const (
	RollbackHeartbeat  = 10 * time.Second
	RollbackStaleAfter = 6 * RollbackHeartbeat
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

// Stalled reports whether the rollback is recorded running but has shown
// no life for RollbackStaleAfter at now: its process is gone.
func (rb RolloutRollback) Stalled(now time.Time) bool {
	return rb.Status == RollbackRunning && now.Sub(rb.UpdatedAt) > RollbackStaleAfter
}

// BeginRollback records rb, running, as its rollout's emergency
// rollback, in place of an earlier one that ended or stalled, and moves
// the change counter. While one is running and not stalled it records
// nothing and returns an error wrapping ErrRollbackRunning: of two
// processes that begin one together, one wins.
func (s *Store) BeginRollback(ctx context.Context, rb RolloutRollback) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.execIn(ctx, tx, s.q.rollbackBegin, rb.Rollout, rb.Actor, RollbackRunning, rb.FromVersion, rb.Tenants,
			0, 0, nil, now, now, nil)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err := s.restartRollback(ctx, tx, rb, now); err != nil {
				return err
			}
		}
		return s.bump(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("control: begin the rollback of rollout %d: %w", rb.Rollout, err)
	}
	return nil
}

// restartRollback replaces the rollback recorded for rb's rollout with
// rb, running, unless it is running and not stalled at now. It replaces
// the row only as it read it, so that of two restarts one wins.
func (s *Store) restartRollback(ctx context.Context, tx *sql.Tx, rb RolloutRollback, now time.Time) error {
	old, ok, err := scanRollback(tx.QueryRowContext(ctx, s.q.rollbackGet, rb.Rollout))
	if err != nil || !ok {
		return cmp.Or(err, errors.New("its record is not there"))
	}
	if old.Status == RollbackRunning && !old.Stalled(now) {
		return fmt.Errorf("%w: started by %s at %s", ErrRollbackRunning, old.Actor, old.StartedAt.UTC().Format(time.RFC3339))
	}
	res, err := s.execIn(ctx, tx, s.q.rollbackRestart, rb.Actor, RollbackRunning, rb.FromVersion, rb.Tenants, now, now,
		rb.Rollout, old.Status, old.UpdatedAt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmp.Or(err, fmt.Errorf("%w: another process began it a moment ago", ErrRollbackRunning))
	}
	return nil
}

// TouchRollback shows that rollout id's running rollback is alive (see
// RollbackHeartbeat). It changes nothing else and leaves the change
// counter: no reader needs to hear of it.
func (s *Store) TouchRollback(ctx context.Context, id int64) error {
	if _, err := s.exec(ctx, s.q.rollbackTouch, s.now().UTC(), id, RollbackRunning); err != nil {
		return fmt.Errorf("control: touch the rollback of rollout %d: %w", id, err)
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
	rb, ok, err = scanRollback(r.db.DB.QueryRowContext(ctx, r.q.rollbackGet, id))
	if err != nil {
		return RolloutRollback{}, false, fmt.Errorf("control: read the rollback of rollout %d: %w", id, err)
	}
	return rb, ok, nil
}

// scanRollback reads a rollback row; ok is false when there is none.
func scanRollback(row *sql.Row) (rb RolloutRollback, ok bool, err error) {
	var lastErr sql.NullString
	var finished sql.NullTime
	err = row.Scan(&rb.Rollout, &rb.Actor, &rb.Status, &rb.FromVersion, &rb.Tenants, &rb.RolledBack, &rb.Failed, &lastErr,
		&rb.StartedAt, &rb.UpdatedAt, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return RolloutRollback{}, false, nil
	}
	if err != nil {
		return RolloutRollback{}, false, err
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
