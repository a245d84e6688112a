package dialecttest

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// held is how long a second Lock must stay blocked while the first is held.
const held = 300 * time.Millisecond

// patience bounds every wait that should end: generous, so that a slow
// machine does not fail the suite, and never a timing assertion.
const patience = 20 * time.Second

type lockResult struct {
	conn   *sql.Conn // the pinned connection; the receiver closes it
	unlock func(context.Context) error
	err    error
}

// close releases what a lock attempt holds.
func (r lockResult) close(ctx context.Context) {
	if r.unlock != nil {
		_ = r.unlock(ctx)
	}
	if r.conn != nil {
		_ = r.conn.Close()
	}
}

// lockAsync pins a connection of db and takes the lock in a goroutine,
// returning where its result arrives.
func (s *suite) lockAsync(ctx context.Context, db *dialect.Database) <-chan lockResult {
	got := make(chan lockResult, 1)
	go func() {
		c, err := db.DB.Conn(ctx)
		if err != nil {
			got <- lockResult{err: err}
			return
		}
		u, err := s.d.Lock(ctx, c, db)
		got <- lockResult{conn: c, unlock: u, err: err}
	}()
	return got
}

func (s *suite) testLockExclusive(t *testing.T) {
	ctx := t.Context()
	name, a := s.tenant(t)
	again := s.open(t, name) // another pool on the same database, as a second runner would have

	unlock, err := s.d.Lock(ctx, conn(t, a), a)
	require.NoError(t, err)

	waitCtx, cancel := context.WithTimeout(ctx, 2*patience)
	defer cancel()
	got := s.lockAsync(waitCtx, again)
	select {
	case r := <-got:
		r.close(ctx)
		t.Fatalf("second Lock returned while the first was held (err %v)", r.err)
	case <-time.After(held):
	}

	require.NoError(t, unlock(ctx))
	select {
	case r := <-got:
		defer lockResult{conn: r.conn}.close(ctx)
		require.NoError(t, r.err, "second Lock after release")
		require.NoError(t, r.unlock(ctx))
	case <-time.After(patience):
		t.Fatal("second Lock did not return after the first was released")
	}
	require.Error(t, unlock(ctx), "unlock of a released lock")
}

func (s *suite) testLockIndependent(t *testing.T) {
	ctx := t.Context()
	_, a := s.tenant(t)
	_, b := s.tenant(t)
	unlockA, err := s.d.Lock(ctx, conn(t, a), a)
	require.NoError(t, err)

	waitCtx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	unlockB, err := s.d.Lock(waitCtx, conn(t, b), b)
	require.NoError(t, err, "lock of another database while the first is held")
	require.NoError(t, unlockB(ctx))
	require.NoError(t, unlockA(ctx))
}

func (s *suite) testLockContext(t *testing.T) {
	ctx := t.Context()
	name, a := s.tenant(t)
	again := s.open(t, name)
	unlock, err := s.d.Lock(ctx, conn(t, a), a)
	require.NoError(t, err)

	waitCtx, cancel := context.WithCancel(ctx)
	got := s.lockAsync(waitCtx, again)
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case r := <-got:
		r.close(ctx)
		require.Error(t, r.err, "Lock returned without error after its ctx was cancelled")
		require.True(t, errors.Is(r.err, context.Canceled), "Lock's error should wrap context.Canceled: %v", r.err)
		require.Contains(t, r.err.Error(), s.d.Name()+": ")
	case <-time.After(patience):
		t.Fatal("Lock did not return after its ctx was cancelled")
	}

	// The cancelled attempt leaves no lock behind.
	require.NoError(t, unlock(ctx))
	waitCtx, cancel = context.WithTimeout(ctx, patience)
	defer cancel()
	unlock, err = s.d.Lock(waitCtx, conn(t, again), again)
	require.NoError(t, err, "lock after a cancelled attempt")
	require.NoError(t, unlock(ctx))
}
