package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd/flags"
)

// snapshotTimeout bounds taking a snapshot.
const snapshotTimeout = 30 * time.Second

// snapshots keeps the current flag snapshot, shared by every request, and
// takes a new one when it has served long enough. At most one snapshot is
// taken at a time.
type snapshots struct {
	fleet Fleet
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	current atomic.Pointer[taken]
	// failedAt is when taking a snapshot last failed (Unix nanoseconds),
	// so that a control database that is down is asked once per period,
	// not once per request, while the last snapshot goes on serving.
	failedAt atomic.Int64
	// taking is held while a snapshot is being taken.
	taking sync.Mutex
}

// taken is a snapshot, the write freezes read with it, and when the
// server took them, by its own clock.
type taken struct {
	flags *flags.Snapshot
	// frozen is until when each tenant's writes are frozen, by code.
	frozen map[string]time.Time
	gen    int64 // the control database's change counter, read before flags
	at     time.Time
}

// readOnly reports whether tenant code's writes are frozen at now.
func (t *taken) readOnly(code string, now time.Time) bool {
	return t.frozen[code].After(now)
}

// errNoSnapshot is returned while no snapshot could be taken yet.
var errNoSnapshot = errors.New("server: no flag snapshot yet")

// errRecentlyFailed is returned, while there is no snapshot, until the
// period after a failure to take one has passed.
var errRecentlyFailed = fmt.Errorf("%w: the last attempt to take one failed (see the log)", errNoSnapshot)

// get returns the snapshot to answer from, taking a new one as described
// in the package documentation.
func (c *snapshots) get(ctx context.Context) (*taken, error) {
	cur := c.current.Load()
	if cur != nil {
		now := c.now()
		age := now.Sub(cur.at)
		if age < c.every || c.recentlyFailed(now) {
			return cur, nil
		}
		if age < 2*c.every {
			if c.taking.TryLock() {
				go func() {
					defer c.taking.Unlock()
					ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
					defer cancel()
					c.take(ctx) //nolint:errcheck // logged; the current snapshot goes on serving
				}()
			}
			return cur, nil
		}
	}
	// No snapshot, or one too old to serve: wait for a new one, taken once
	// for every request that is waiting.
	c.taking.Lock()
	defer c.taking.Unlock()
	if fresh := c.current.Load(); fresh != nil && fresh != cur {
		return fresh, nil
	}
	if c.recentlyFailed(c.now()) {
		if cur == nil {
			return nil, errRecentlyFailed // do not ask a failing database once per request
		}
		return cur, nil
	}
	// Detached from the request: others wait on this snapshot too, and a
	// client that goes away must not count as a failure of the database.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), snapshotTimeout)
	defer cancel()
	fresh, err := c.take(ctx)
	if err != nil {
		if cur != nil {
			return cur, nil // stale beats nothing; the failure is logged
		}
		return nil, errors.Join(errNoSnapshot, err)
	}
	return fresh, nil
}

// take makes a current snapshot: the one it has, when the control
// database's change counter has not moved since it was taken (one small
// read), else a new one, with the write freezes (which move the counter
// too). The caller holds taking. The counter is read before the
// snapshot, so a change that commits in between moves it past the
// snapshot's and the next take loads again.
func (c *snapshots) take(ctx context.Context) (*taken, error) {
	fail := func(err error) (*taken, error) {
		c.failedAt.Store(c.now().UnixNano())
		c.log.Error("server: take flag snapshot", "error", err)
		return nil, err
	}
	gen, err := c.fleet.Generation(ctx)
	if err != nil {
		return fail(err)
	}
	fresh := &taken{gen: gen, at: c.now()}
	if cur := c.current.Load(); cur != nil && cur.gen == gen {
		fresh.flags, fresh.frozen = cur.flags, cur.frozen
	} else {
		if fresh.flags, err = c.fleet.FlagSnapshot(ctx); err != nil {
			return fail(err)
		}
		if fresh.frozen, err = c.fleet.WriteFreezes(ctx); err != nil {
			return fail(err)
		}
	}
	c.failedAt.Store(0)
	c.current.Store(fresh)
	return fresh, nil
}

func (c *snapshots) recentlyFailed(now time.Time) bool {
	at := c.failedAt.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) < c.every
}
