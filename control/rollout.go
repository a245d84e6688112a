package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rollout is one rollout: a set of tenants brought to a release in waves.
type Rollout struct {
	ID            int64         `json:"id"`
	Release       string        `json:"release"`
	SystemVersion string        `json:"system_version"`
	TenantVersion string        `json:"tenant_version"`
	Selector      string        `json:"selector"`
	Status        RolloutStatus `json:"status"`
	Reason        string        `json:"reason,omitempty"`
	StartAt       *time.Time    `json:"start_at,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	FinishedAt    *time.Time    `json:"finished_at,omitempty"`
}

// Finished reports whether the rollout will do no more work by itself.
func (r Rollout) Finished() bool { return r.Status.Finished() }

// Item is one tenant of a rollout.
type Item struct {
	Rollout     int64      `json:"-"`
	Tenant      string     `json:"tenant"`
	Server      string     `json:"server"`
	Wave        int        `json:"wave"`
	WaveName    string     `json:"wave_name"`
	Position    int        `json:"position"`
	State       ItemState  `json:"state"`
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
func (it Item) Terminal() bool { return it.State.Terminal() }

// ErrRolloutNotFound is returned for an unknown rollout id, or when no
// rollout is unfinished.
var ErrRolloutNotFound = errors.New("rollout not found")

// CreateRollout records r and its items in one transaction and returns
// the new rollout's id.
func (s *Store) CreateRollout(ctx context.Context, r Rollout, items []Item) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		var err error
		id, err = s.insertID(ctx, tx, s.q.rolloutInsert, r.Release, r.SystemVersion, r.TenantVersion, r.Selector, r.Status,
			utcPtr(r.StartAt), now, now)
		if err != nil {
			return fmt.Errorf("control: create rollout: %w", err)
		}
		if err := s.insertItems(ctx, tx, id, items); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	return id, err
}

// insertItems writes items, many to a statement.
func (s *Store) insertItems(ctx context.Context, tx *sql.Tx, id int64, items []Item) error {
	return batches(len(items), func(i, j int) error {
		args := make([]any, 0, 9*many) // the rows, then NULLs
		for _, it := range items[i:j] {
			args = append(args, id, it.Tenant, it.Server, it.Wave, it.WaveName, it.Position, it.State, it.FromVersion, nullable(it.Error))
		}
		if _, err := s.execIn(ctx, tx, s.q.itemInsertMany, args[:cap(args)]...); err != nil {
			return fmt.Errorf("control: record rollout tenants: %w", err)
		}
		return nil
	})
}

// Rollout returns the rollout with the given id, or an error wrapping
// ErrRolloutNotFound.
func (r *Reader) Rollout(ctx context.Context, id int64) (Rollout, error) {
	rs, err := r.rollouts(ctx, r.q.rolloutGet, id)
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
func (r *Reader) LatestUnfinished(ctx context.Context) (Rollout, error) {
	rs, err := r.rollouts(ctx, r.q.rolloutLatestUnfinished, RolloutCompleted, RolloutCompletedWithFailures, RolloutAborted)
	if err != nil {
		return Rollout{}, err
	}
	if len(rs) == 0 {
		return Rollout{}, fmt.Errorf("no unfinished rollout: %w", ErrRolloutNotFound)
	}
	return rs[0], nil
}

// Rollouts returns every rollout, oldest first.
func (r *Reader) Rollouts(ctx context.Context) ([]Rollout, error) {
	return r.rollouts(ctx, r.q.rolloutList)
}

func (r *Reader) rollouts(ctx context.Context, query string, args ...any) ([]Rollout, error) {
	rows, err := r.db.DB.QueryContext(ctx, query, args...)
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
// status is one of from. It reports whether it did, and moves the change
// counter when it did.
func (s *Store) SetRolloutStatus(ctx context.Context, id int64, from []RolloutStatus, to RolloutStatus, reason string) (ok bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if ok, err = s.setRolloutStatus(ctx, tx, id, from, to, reason); err != nil || !ok {
			return err
		}
		return s.bump(ctx, tx)
	})
	return ok, err
}

// fromStatuses is how many statuses rollout-set-status takes a rollout
// from; the unused ones are NULL, which no status equals.
const fromStatuses = 4

// setRolloutStatus is SetRolloutStatus through q, in one statement.
func (s *Store) setRolloutStatus(ctx context.Context, q execer, id int64, from []RolloutStatus, to RolloutStatus, reason string) (bool, error) {
	if len(from) > fromStatuses {
		return false, fmt.Errorf("control: rollout %d to %s: from %d statuses, at most %d", id, to, len(from), fromStatuses)
	}
	now := s.now().UTC()
	var finished any
	if to.Finished() {
		finished = now
	}
	slots := make([]any, fromStatuses) // the statuses, then NULLs
	for i, f := range from {
		slots[i] = f
	}
	res, err := s.execIn(ctx, q, s.q.rolloutSetStatus, append([]any{to, nullable(reason), now, finished, id}, slots...)...)
	if err != nil {
		return false, fmt.Errorf("control: rollout %d to %s: %w", id, to, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("control: rollout %d to %s: %w", id, to, err)
	}
	return n == 1, nil
}

// Items returns the rollout's tenants by wave and position.
func (r *Reader) Items(ctx context.Context, id int64) ([]Item, error) {
	return r.items(ctx, id, r.q.itemList, id)
}

// Wave is one wave of a rollout as the control database counts it: how
// many of its tenants are in each state. A runner decides from it, without
// reading every tenant, which wave is current, whether a wave is over its
// failure budget and whether the rollout is complete.
type Wave struct {
	// Index is the wave's place in the rollout, from 0.
	Index int
	Name  string
	// States counts the wave's tenants by state.
	States map[ItemState]int
	// Claimed counts the tenants a runner ever claimed (attempted at
	// least once, whether running now or not).
	Claimed int
}

// Size is how many tenants the wave holds.
func (w Wave) Size() int { return w.count(func(ItemState) bool { return true }) }

// Failed is how many of the wave's tenants failed, rolled back or not.
func (w Wave) Failed() int { return w.count(ItemState.Failed) }

// Open is how many of the wave's tenants still need work.
func (w Wave) Open() int {
	return w.count(func(st ItemState) bool { return !st.Terminal() })
}

func (w Wave) count(in func(ItemState) bool) int {
	n := 0
	for st, c := range w.States {
		if in(st) {
			n += c
		}
	}
	return n
}

// Waves returns the rollout's waves that hold tenants, in order.
func (r *Reader) Waves(ctx context.Context, id int64) ([]Wave, error) {
	rows, err := r.db.DB.QueryContext(ctx, r.q.itemWaves, id)
	if err != nil {
		return nil, fmt.Errorf("control: count rollout %d's tenants: %w", id, err)
	}
	defer rows.Close()
	var out []Wave
	for rows.Next() {
		var (
			w                Wave
			st               ItemState
			count, attempted int
		)
		if err := rows.Scan(&w.Index, &w.Name, &st, &count, &attempted); err != nil {
			return nil, fmt.Errorf("control: count rollout %d's tenants: %w", id, err)
		}
		if len(out) == 0 || out[len(out)-1].Index != w.Index {
			w.States = map[ItemState]int{}
			out = append(out, w)
		}
		last := &out[len(out)-1]
		last.States[st] += count
		last.Claimed += attempted // a claim counts an attempt as it marks the tenant running
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: count rollout %d's tenants: %w", id, err)
	}
	return out, nil
}

// OldestRunning returns since when the rollout's longest-running tenant
// has been running (its latest claim); ok is false when none is running.
// A tenant whose runner died stays running, its lease expired, until
// another runner claims it.
func (r *Reader) OldestRunning(ctx context.Context, id int64) (since time.Time, ok bool, err error) {
	err = r.db.DB.QueryRowContext(ctx, r.q.itemOldestRunning, id, ItemRunning).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("control: read rollout %d's running tenants: %w", id, err)
	}
	return since, true, nil
}

// Claimable returns up to limit tenants of the wave that a runner may
// claim: pending ones, and running ones whose lease has expired by the
// control database's clock.
func (r *Reader) Claimable(ctx context.Context, id int64, wave, limit int) ([]Item, error) {
	return r.items(ctx, id, r.q.itemClaimable, id, wave, ItemPending, ItemRunning, limit)
}

func (r *Reader) items(ctx context.Context, rollout int64, query string, args ...any) ([]Item, error) {
	rows, err := r.db.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("control: read rollout tenants: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it := Item{Rollout: rollout}
		if err := scanItem(rows, &it); err != nil {
			return nil, fmt.Errorf("control: read rollout tenants: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read rollout tenants: %w", err)
	}
	return out, nil
}

// scanItem reads the row rows is at into it: lead, then the columns of
// an item as the item queries list them.
func scanItem(rows *sql.Rows, it *Item, lead ...any) error {
	var owner, msg sql.NullString
	var started, finished sql.NullTime
	err := rows.Scan(append(lead, &it.Tenant, &it.Server, &it.Wave, &it.WaveName, &it.Position, &it.State, &it.Attempts, &owner,
		&it.LeaseToken, &it.FromVersion, &started, &finished, &it.DurationMS, &msg)...)
	it.LeaseOwner, it.Error = owner.String, msg.String
	it.StartedAt, it.FinishedAt = timePtr(started), timePtr(finished)
	return err
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

// Claim leases item it, as Claimable or Items read it, to owner for d,
// if the item is still as read (pending, or running with an expired
// lease, and the same lease token) and its rollout is running. ok is
// false when another runner got it first or the rollout is no longer
// running: a claim never races a pause or an abort.
//
// The claim commits in a transaction shared with the writes of concurrent
// runners of this Store (see inGroupTx), so that the runners of a rollout
// make about one commit per round of tenants, not one per claim.
func (s *Store) Claim(ctx context.Context, it Item, owner string, d time.Duration) (l Lease, ok bool, err error) {
	return s.claim(ctx, it, owner, d, nil)
}

// Run is what ClaimRun hands the runner that won a claim: the lease, and
// what the run needs from the control database, read in the claim's
// transaction.
type Run struct {
	Lease Lease
	// Tenant is the tenant's registry entry; nil when the registry no
	// longer has it (removed since the rollout started), and then the
	// claim begins no run.
	Tenant *Tenant
	// Before is the tenant's row of its schema version as it was before
	// the claim began the run; nil when it has none (or no run was
	// begun), and then the claim leaves it alone.
	Before *VersionState
}

// ClaimRun is Claim for a runner about to migrate the tenant towards
// version target: the claim's transaction also marks the tenant's run as
// begun, as BeginTenants does, so that the run makes no commit of its own
// to begin, and reads the tenant's registry entry, so that the run reads
// nothing before it starts. Run.Before is for the run (see
// herd.Fleet.MigrateBegun), or for Unbegin when no run follows.
func (s *Store) ClaimRun(ctx context.Context, it Item, owner string, d time.Duration, target string) (run Run, ok bool, err error) {
	run.Lease, ok, err = s.claim(ctx, it, owner, d, func(tx *sql.Tx, now time.Time) error {
		ts, err := s.tenants(ctx, tx, s.q.tenantGet, it.Tenant)
		if err != nil {
			return err
		}
		// A shared batch that failed runs this again alone: nothing is
		// kept from the first try.
		run.Tenant, run.Before = nil, nil
		if len(ts) == 0 {
			return nil // no longer registered: there is no run to begin
		}
		run.Tenant = &ts[0]
		states, err := s.beginTenants(ctx, tx, []string{it.Tenant}, target, now)
		if err == nil {
			run.Before = states[0]
		}
		return err
	})
	if !ok {
		// A shared batch that failed ran the begin before its claim was
		// tried again alone, and lost.
		return Run{}, false, err
	}
	return run, true, nil
}

// claim is Claim, with then run in the claim's transaction, at the
// claim's time, once the claim succeeded.
func (s *Store) claim(ctx context.Context, it Item, owner string, d time.Duration, then func(tx *sql.Tx, now time.Time) error) (l Lease, ok bool, err error) {
	now := s.now().UTC()
	err = s.inGroupTx(ctx, func(tx *sql.Tx) error {
		res, err := s.execIn(ctx, tx, s.q.itemClaim, ItemRunning, owner, d.Milliseconds(), now, it.Rollout, it.Tenant, it.LeaseToken,
			ItemPending, ItemRunning, it.Rollout, RolloutRunning)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		if err != nil || !ok || then == nil {
			return err
		}
		return then(tx, now)
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("control: claim tenant %q: %w", it.Tenant, err)
	}
	if !ok {
		return Lease{}, false, nil
	}
	return Lease{Rollout: it.Rollout, Tenant: it.Tenant, Owner: owner, Token: it.LeaseToken + 1}, true, nil
}

// Heartbeat extends the lease by d from now, by the control database's
// clock. ok is false when the lease was lost.
func (s *Store) Heartbeat(ctx context.Context, l Lease, d time.Duration) (bool, error) {
	return s.fenced(ctx, s.writer(), l, s.q.itemHeartbeat, d.Milliseconds())
}

// Release ends the lease with the tenant in state (done, failed, skipped,
// rolled_back, or pending to give it back), recording its duration and
// error, and moves the change counter. ok is false when the lease was
// lost, and then nothing is written. Like Claim, it commits in a
// transaction shared with concurrent writes.
func (s *Store) Release(ctx context.Context, l Lease, state ItemState, duration time.Duration, msg string) (ok bool, err error) {
	err = s.inGroupTx(ctx, func(tx *sql.Tx) (err error) {
		ok, err = s.release(ctx, tx, l, state, duration, msg)
		return err
	})
	return ok, err
}

// release is Release's write, in tx.
func (s *Store) release(ctx context.Context, tx *sql.Tx, l Lease, state ItemState, duration time.Duration, msg string) (bool, error) {
	var finished any
	if state != ItemPending {
		finished = s.now().UTC()
	}
	return s.fenced(ctx, tx, l, s.q.itemRelease, state, finished, duration.Milliseconds(), nullable(msg))
}

// LeaseEnd is the release of a rollout's lease on a tenant that a
// successful run records with its outcome (see Outcome.Release), in the
// run's own commit: the item ends done. A run that fails, or records
// nothing, leaves the lease to its runner, which then calls Release.
type LeaseEnd struct {
	Lease Lease
	// Msg is the item's note, as Release's msg.
	Msg string
	// Took is the time the tenant took, asked at the commit.
	Took func() time.Duration
	// Committed is set once the run's outcome, and the release with it,
	// committed; Held then says whether the lease still held (Release's
	// ok): when it did not, the release wrote nothing.
	Committed, Held bool
}

// fenced runs update through q, one of the item updates whose last
// arguments are the lease's fence, with args before the fence's.
func (s *Store) fenced(ctx context.Context, q execer, l Lease, update string, args ...any) (bool, error) {
	args = append(args, l.Rollout, l.Tenant, l.Owner, l.Token, ItemRunning)
	res, err := s.execIn(ctx, q, update, args...)
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
func (s *Store) RetryItems(ctx context.Context, id int64, states ...ItemState) (n int64, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, st := range states {
			res, err := tx.ExecContext(ctx, s.q.itemRetry, ItemPending, id, st)
			if err != nil {
				return fmt.Errorf("control: reset tenants of rollout %d: %w", id, err)
			}
			reset, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("control: reset tenants of rollout %d: %w", id, err)
			}
			n += reset
		}
		if n == 0 {
			return nil
		}
		if _, err := s.setRolloutStatus(ctx, tx, id, []RolloutStatus{RolloutCompleted, RolloutCompletedWithFailures}, RolloutRunning, "retrying failed tenants"); err != nil {
			return err
		}
		return s.bump(ctx, tx)
	})
	return n, err
}

// ResolveItems marks the tenant done in every rollout to its schema
// version that is not over and in which it failed or was rolled back:
// once herd repair brought the tenant to version, the rollout agrees,
// and resuming it goes on from there. note is kept as the item's error
// column, saying how it was resolved. It returns how many items it marked.
func (s *Store) ResolveItems(ctx context.Context, tenant, version, note string) (int64, error) {
	res, err := s.exec(ctx, s.q.itemResolve,
		ItemDone, note, s.now().UTC(), tenant, ItemFailed, ItemRolledBack, version, RolloutCompleted, RolloutAborted)
	if err != nil {
		return 0, fmt.Errorf("control: resolve tenant %q in its rollouts: %w", tenant, err)
	}
	return res.RowsAffected()
}
