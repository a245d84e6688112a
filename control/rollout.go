package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
)

// The states of a rollout.
const (
	RolloutScheduled = "scheduled"
	RolloutRunning   = "running"
	RolloutPaused    = "paused"
	RolloutHalted    = "halted"
	RolloutAborted   = "aborted"
	RolloutCompleted = "completed"
	// RolloutCompletedWithFailures is a rollout that ran every tenant,
	// within its failure budgets, and some failed or were rolled back: it
	// has not proven its release.
	RolloutCompletedWithFailures = "completed_with_failures"
)

// The states of a rollout's tenant (work item).
const (
	ItemPending    = "pending"
	ItemRunning    = "running"
	ItemDone       = "done"
	ItemFailed     = "failed"
	ItemSkipped    = "skipped"
	ItemRolledBack = "rolled_back"
)

// Rollout is one rollout: a set of tenants brought to a release in waves.
type Rollout struct {
	ID            int64      `json:"id"`
	Release       string     `json:"release"`
	SystemVersion string     `json:"system_version"`
	TenantVersion string     `json:"tenant_version"`
	Selector      string     `json:"selector"`
	Status        string     `json:"status"`
	Reason        string     `json:"reason,omitempty"`
	StartAt       *time.Time `json:"start_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// Finished reports whether the rollout will do no more work by itself.
func (r Rollout) Finished() bool {
	switch r.Status {
	case RolloutAborted, RolloutCompleted, RolloutCompletedWithFailures:
		return true
	}
	return false
}

// Item is one tenant of a rollout.
type Item struct {
	Rollout     int64      `json:"-"`
	Tenant      string     `json:"tenant"`
	Server      string     `json:"server"`
	Wave        int        `json:"wave"`
	WaveName    string     `json:"wave_name"`
	Position    int        `json:"position"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	LeaseOwner  string     `json:"lease_owner,omitempty"`
	LeaseToken  int64      `json:"-"`
	FromVersion string     `json:"from_version"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	DurationMS  int64      `json:"duration_ms"`
	Error       string     `json:"error,omitempty"`
}

// Terminal reports whether the item needs no more work.
func (it Item) Terminal() bool {
	switch it.State {
	case ItemDone, ItemFailed, ItemSkipped, ItemRolledBack:
		return true
	}
	return false
}

// Failed reports whether an item in state failed: it failed, whether or
// not it was rolled back. Failures count against a wave's budget.
func Failed(state string) bool { return state == ItemFailed || state == ItemRolledBack }

// ErrRolloutNotFound is returned for an unknown rollout id, or when no
// rollout is unfinished.
var ErrRolloutNotFound = errors.New("rollout not found")

// CreateRollout records r and its items in one transaction and returns
// the new rollout's id.
func (s *Store) CreateRollout(ctx context.Context, r Rollout, items []Item) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		insert := s.bind(`INSERT INTO herd_rollouts (release_name, system_version, tenant_version, selector, status, start_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		args := []any{r.Release, r.SystemVersion, r.TenantVersion, r.Selector, r.Status, utcPtr(r.StartAt), now, now}
		var err error
		if id, err = s.insertID(ctx, tx, insert, args...); err != nil {
			return fmt.Errorf("control: create rollout: %w", err)
		}
		return s.insertItems(ctx, tx, id, items)
	})
	return id, err
}

// insertID runs insert in tx and returns the new row's id.
func (s *Store) insertID(ctx context.Context, tx *sql.Tx, insert string, args ...any) (int64, error) {
	if ret, ok := s.dialect.(dialect.InsertReturning); ok {
		var id int64
		err := tx.QueryRowContext(ctx, insert+ret.ReturningID(), args...).Scan(&id)
		return id, err
	}
	res, err := tx.ExecContext(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// insertItems writes items in multi-row INSERTs of at most 100 rows.
func (s *Store) insertItems(ctx context.Context, tx *sql.Tx, id int64, items []Item) error {
	const cols = 9
	for start := 0; start < len(items); start += 100 {
		chunk := items[start:min(start+100, len(items))]
		rows := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*cols)
		for i, it := range chunk {
			rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
			args = append(args, id, it.Tenant, it.Server, it.Wave, it.WaveName, it.Position, it.State, it.FromVersion, nullable(it.Error))
		}
		_, err := tx.ExecContext(ctx, s.bind(`INSERT INTO herd_rollout_tenants
			(rollout_id, tenant, server, wave, wave_name, position, state, from_version, error) VALUES `+strings.Join(rows, ", ")), args...)
		if err != nil {
			return fmt.Errorf("control: record rollout tenants: %w", err)
		}
	}
	return nil
}

const rolloutColumns = `id, release_name, system_version, tenant_version, selector, status, reason, start_at, created_at, updated_at, finished_at`

// Rollout returns the rollout with the given id, or an error wrapping
// ErrRolloutNotFound.
func (s *Store) Rollout(ctx context.Context, id int64) (Rollout, error) {
	rs, err := s.rollouts(ctx, `WHERE id = ?`, id)
	if err != nil {
		return Rollout{}, err
	}
	if len(rs) == 0 {
		return Rollout{}, fmt.Errorf("rollout %d: %w", id, ErrRolloutNotFound)
	}
	return rs[0], nil
}

// LatestUnfinished returns the newest rollout that is neither completed
// nor aborted, or an error wrapping ErrRolloutNotFound.
func (s *Store) LatestUnfinished(ctx context.Context) (Rollout, error) {
	rs, err := s.rollouts(ctx, `WHERE status NOT IN (?, ?, ?)`, RolloutCompleted, RolloutCompletedWithFailures, RolloutAborted)
	if err != nil {
		return Rollout{}, err
	}
	if len(rs) == 0 {
		return Rollout{}, fmt.Errorf("no unfinished rollout: %w", ErrRolloutNotFound)
	}
	return rs[len(rs)-1], nil
}

// Rollouts returns every rollout, oldest first.
func (s *Store) Rollouts(ctx context.Context) ([]Rollout, error) { return s.rollouts(ctx, "") }

func (s *Store) rollouts(ctx context.Context, where string, args ...any) ([]Rollout, error) {
	rows, err := s.db.DB.QueryContext(ctx, s.bind(`SELECT `+rolloutColumns+` FROM herd_rollouts `+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("control: read rollouts: %w", err)
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		var r Rollout
		var reason sql.NullString
		var startAt, finished sql.NullTime
		if err := rows.Scan(&r.ID, &r.Release, &r.SystemVersion, &r.TenantVersion, &r.Selector, &r.Status, &reason,
			&startAt, &r.CreatedAt, &r.UpdatedAt, &finished); err != nil {
			return nil, fmt.Errorf("control: read rollouts: %w", err)
		}
		r.Reason, r.StartAt, r.FinishedAt = reason.String, timePtr(startAt), timePtr(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read rollouts: %w", err)
	}
	return out, nil
}

// SetRolloutStatus moves rollout id to status to, with a reason, if its
// status is one of from. It reports whether it did.
func (s *Store) SetRolloutStatus(ctx context.Context, id int64, from []string, to, reason string) (bool, error) {
	return s.setRolloutStatus(ctx, s.writer(), id, from, to, reason)
}

func (s *Store) setRolloutStatus(ctx context.Context, q execer, id int64, from []string, to, reason string) (bool, error) {
	now := s.now().UTC()
	var finished any
	if to == RolloutCompleted || to == RolloutCompletedWithFailures || to == RolloutAborted {
		finished = now
	}
	marks, statuses := inList(from)
	res, err := q.ExecContext(ctx, s.bind(`UPDATE herd_rollouts SET status = ?, reason = ?, updated_at = ?, finished_at = ?
		WHERE id = ? AND status IN (`+marks+`)`), append([]any{to, nullable(reason), now, finished, id}, statuses...)...)
	if err != nil {
		return false, fmt.Errorf("control: rollout %d to %s: %w", id, to, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const itemColumns = `tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
	from_version, started_at, finished_at, duration_ms, error`

// Items returns the rollout's tenants by wave and position.
func (s *Store) Items(ctx context.Context, id int64) ([]Item, error) {
	return s.items(ctx, `WHERE rollout_id = ? ORDER BY wave, position`, id)
}

// Claimable returns up to limit tenants of the wave that a runner may
// claim: pending ones, and running ones whose lease has expired by the
// control database's clock.
func (s *Store) Claimable(ctx context.Context, id int64, wave, limit int) ([]Item, error) {
	return s.items(ctx, `WHERE rollout_id = ? AND wave = ? AND (state = ? OR (state = ? AND lease_expires_ms < `+
		s.dialect.NowMillisSQL()+`)) ORDER BY position LIMIT `+fmt.Sprint(limit), id, wave, ItemPending, ItemRunning)
}

func (s *Store) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	rows, err := s.db.DB.QueryContext(ctx, s.bind(`SELECT `+itemColumns+` FROM herd_rollout_tenants `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("control: read rollout tenants: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var owner, msg sql.NullString
		var started, finished sql.NullTime
		if err := rows.Scan(&it.Tenant, &it.Server, &it.Wave, &it.WaveName, &it.Position, &it.State, &it.Attempts, &owner,
			&it.LeaseToken, &it.FromVersion, &started, &finished, &it.DurationMS, &msg); err != nil {
			return nil, fmt.Errorf("control: read rollout tenants: %w", err)
		}
		it.LeaseOwner, it.Error = owner.String, msg.String
		it.StartedAt, it.FinishedAt = timePtr(started), timePtr(finished)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read rollout tenants: %w", err)
	}
	return out, nil
}

// Lease is a runner's claim on one tenant of a rollout. Every write about
// the tenant is fenced by its token: a runner whose lease expired and was
// taken over writes nothing.
type Lease struct {
	Rollout int64
	Tenant  string
	Owner   string
	Token   int64
}

// Claim leases the tenant to owner for d, if it is pending or its lease
// has expired. ok is false when another runner got it first.
func (s *Store) Claim(ctx context.Context, rollout int64, tenant, owner string, d time.Duration) (l Lease, ok bool, err error) {
	now := s.now().UTC()
	res, err := s.exec(ctx, s.bind(`UPDATE herd_rollout_tenants
		SET state = ?, lease_owner = ?, lease_token = lease_token + 1, lease_expires_ms = `+s.dialect.NowMillisSQL()+` + ?,
		    attempts = attempts + 1, started_at = ?, error = NULL
		WHERE rollout_id = ? AND tenant = ? AND (state = ? OR (state = ? AND lease_expires_ms < `+s.dialect.NowMillisSQL()+`))`),
		ItemRunning, owner, d.Milliseconds(), now, rollout, tenant, ItemPending, ItemRunning)
	if err != nil {
		return Lease{}, false, fmt.Errorf("control: claim tenant %q: %w", tenant, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Lease{}, false, err
	}
	l = Lease{Rollout: rollout, Tenant: tenant, Owner: owner}
	err = s.db.DB.QueryRowContext(ctx, s.bind(`SELECT lease_token FROM herd_rollout_tenants WHERE rollout_id = ? AND tenant = ? AND lease_owner = ?`),
		rollout, tenant, owner).Scan(&l.Token)
	if err != nil {
		return Lease{}, false, fmt.Errorf("control: claim tenant %q: %w", tenant, err)
	}
	return l, true, nil
}

// Heartbeat extends the lease by d from now, by the control database's
// clock. ok is false when the lease was lost.
func (s *Store) Heartbeat(ctx context.Context, l Lease, d time.Duration) (bool, error) {
	return s.fenced(ctx, l, `lease_expires_ms = `+s.dialect.NowMillisSQL()+` + ?`, d.Milliseconds())
}

// Release ends the lease with the tenant in state (done, failed, skipped,
// rolled_back, or pending to give it back), recording its duration and
// error. ok is false when the lease was lost, and then nothing is written.
func (s *Store) Release(ctx context.Context, l Lease, state string, duration time.Duration, msg string) (bool, error) {
	var finished any
	if state != ItemPending {
		finished = s.now().UTC()
	}
	return s.fenced(ctx, l, `state = ?, lease_expires_ms = 0, finished_at = ?, duration_ms = ?, error = ?`,
		state, finished, duration.Milliseconds(), nullable(msg))
}

func (s *Store) fenced(ctx context.Context, l Lease, set string, args ...any) (bool, error) {
	args = append(args, l.Rollout, l.Tenant, l.Owner, l.Token, ItemRunning)
	res, err := s.exec(ctx, s.bind(`UPDATE herd_rollout_tenants SET `+set+`
		WHERE rollout_id = ? AND tenant = ? AND lease_owner = ? AND lease_token = ? AND state = ?`), args...)
	if err != nil {
		return false, fmt.Errorf("control: tenant %q of rollout %d: %w", l.Tenant, l.Rollout, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RetryItems puts the rollout's tenants in any of states back to pending,
// for a retry, and returns how many. When it puts any back, a completed
// rollout is running again, in the same transaction, so that no tenant is
// left pending in a rollout that is over; with none, nothing changes.
func (s *Store) RetryItems(ctx context.Context, id int64, states ...string) (n int64, err error) {
	marks, args := inList(states)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.bind(`UPDATE herd_rollout_tenants SET state = ?, lease_expires_ms = 0, lease_owner = NULL
			WHERE rollout_id = ? AND state IN (`+marks+`)`), append([]any{ItemPending, id}, args...)...)
		if err != nil {
			return fmt.Errorf("control: reset tenants of rollout %d: %w", id, err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		_, err = s.setRolloutStatus(ctx, tx, id, []string{RolloutCompleted, RolloutCompletedWithFailures}, RolloutRunning, "retrying failed tenants")
		return err
	})
	return n, err
}

// ResolveItems marks the tenant done in every rollout to its schema
// version that is not over and in which it failed or was rolled back:
// once herd repair brought the tenant to version, the rollout agrees,
// and resuming it goes on from there. note is kept as the item's error
// column, saying how it was resolved. It returns how many items it marked.
func (s *Store) ResolveItems(ctx context.Context, tenant, version, note string) (int64, error) {
	res, err := s.exec(ctx, s.bind(`UPDATE herd_rollout_tenants SET state = ?, error = ?, finished_at = ?
		WHERE tenant = ? AND state IN (?, ?) AND rollout_id IN
		(SELECT id FROM herd_rollouts WHERE tenant_version = ? AND status NOT IN (?, ?))`),
		ItemDone, note, s.now().UTC(), tenant, ItemFailed, ItemRolledBack, version, RolloutCompleted, RolloutAborted)
	if err != nil {
		return 0, fmt.Errorf("control: resolve tenant %q in its rollouts: %w", tenant, err)
	}
	return res.RowsAffected()
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// GuardRunner takes the control database's runner lock where the engine
// serves one runner process at a time (SQLite); elsewhere it does nothing.
// It fails with an error wrapping dialect.ErrRunnerBusy when another
// process runs.
func (s *Store) GuardRunner() (release func() error, err error) {
	g, ok := s.dialect.(dialect.RunnerGuard)
	if !ok {
		return func() error { return nil }, nil
	}
	return g.GuardRunner(s.db)
}
