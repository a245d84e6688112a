package shadow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/herdhq/herd/dialect"
)

// ErrFreezeTimeout is wrapped by Freeze's error when the tenant's write
// lock could not be taken within the timeout: writers (or, on MySQL and
// PostgreSQL, transactions that wrote) held it all along. Nothing was
// frozen; try again later.
var ErrFreezeTimeout = errors.New("freeze timed out")

// freezeAttempt bounds each attempt at the freeze's lock, and freezePause
// separates two attempts. An attempt holds the locks it got while it
// waits for the others, and the application's writes to those tables
// wait meanwhile: a short attempt that gives up and lets them through,
// rather than one long wait, keeps them from queueing behind it, and ends
// before PostgreSQL's deadlock detector (deadlock_timeout, 1 s) would
// pick the application's transaction as the victim of a cycle through
// the freeze. MySQL counts its lock wait in whole seconds: an attempt
// there lasts 1 s.
const (
	freezeAttempt = 100 * time.Millisecond
	freezePause   = 50 * time.Millisecond
)

// Freeze blocks writes to the tenant's tables, not reads, until release
// is called: from its own connection, in attempts of at most 100 ms each
// (PostgreSQL LOCK TABLE … IN SHARE MODE under lock_timeout, MySQL LOCK
// TABLES … READ under lock_wait_timeout, SQLite BEGIN IMMEDIATE under
// busy_timeout; see each dialect's FreezeWrites), until one gets the lock
// or timeout has passed, like gh-ost's cut-over. The
// application's writes meanwhile wait (for the lock, as their engine
// bounds it) and then go on or fail; none is lost. The freeze dies with
// its connection: a herd that is killed leaves none. While frozen,
// CatchUp catches up without deleting from the capture table, and Verify
// compares a tenant that cannot change.
//
// On a timeout the error wraps ErrFreezeTimeout. release is safe to call
// from any goroutine and more than once; it returns the error of ending
// the lock, after which the lock's connection is closed anyway.
func (s *Shadow) Freeze(ctx context.Context, timeout time.Duration) (release func() error, err error) {
	fail := func(err error) (func() error, error) {
		return nil, fmt.Errorf("shadow: freeze tenant %q: %w", s.tenantName, err)
	}
	if err := s.closed(); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	held := s.freezing
	s.mu.Unlock()
	if held {
		return fail(errors.New("already frozen"))
	}
	guard, ok := s.d.(dialect.SessionGuard)
	if !ok {
		return fail(fmt.Errorf("engine %q cannot bound a lock wait", s.d.Name()))
	}
	// A pool of its own: closing it ends the session, and the lock with it.
	db, err := s.srv.Open(ctx, s.tenantName)
	if err != nil {
		return fail(err)
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return fail(err)
	}
	unlock, err := s.freezeOn(ctx, guard, conn, db, timeout)
	if err != nil {
		_ = conn.Close()
		_ = db.Close()
		return fail(err)
	}
	s.mu.Lock()
	s.freezing, s.caughtUp, s.freezeConn = true, 0, conn
	s.mu.Unlock()
	var (
		once   sync.Once
		relErr error
	)
	return func() error {
		once.Do(func() {
			s.mu.Lock()
			s.freezing, s.freezeConn = false, nil
			s.mu.Unlock()
			relErr = errors.Join(unlock(), conn.Close(), db.Close())
		})
		if relErr != nil {
			return fmt.Errorf("shadow: release the freeze of tenant %q: %w", s.tenantName, relErr)
		}
		return nil
	}, nil
}

// freezeOn takes the freeze on conn, in attempts, until timeout has
// passed.
func (s *Shadow) freezeOn(ctx context.Context, guard dialect.SessionGuard, conn *sql.Conn, db *dialect.Database, timeout time.Duration) (func() error, error) {
	freezer := s.d.(dialect.WriteFreezer)
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		wait := min(freezeAttempt, max(time.Until(deadline), time.Millisecond))
		if err := guard.GuardSession(ctx, conn, wait); err != nil {
			return nil, err
		}
		unlock, err := freezer.FreezeWrites(ctx, conn, db, s.frozen)
		switch {
		case err == nil:
			return unlock, nil
		case !guard.LockTimedOut(err):
			return nil, err
		case time.Until(deadline) <= freezePause:
			return nil, fmt.Errorf("%w after %v (%d attempts): %w", ErrFreezeTimeout, timeout, attempt, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(freezePause):
		}
	}
}

// Seal seals the tenant, which must be frozen (Freeze): once the freeze's
// release ends it, every write to the tenant's captured tables fails
// with an error that starts with dialect.SealedMessage and names
// movedTo, until Unseal (or Remove, or Abandon) removes the capture. It
// is for the switch: the writes that waited for the freeze, and those of
// applications that still resolve the tenant to its old database, fail
// instead of landing where no one reads them. After Seal, StopCapture
// leaves the capture in the tenant, since the seal is a trigger on it.
func (s *Shadow) Seal(ctx context.Context, movedTo string) error {
	fail := func(err error) error {
		return fmt.Errorf("shadow: seal tenant %q: %w", s.tenantName, err)
	}
	if err := s.closed(); err != nil {
		return fail(err)
	}
	sealer, ok := s.d.(dialect.CaptureSealer)
	if !ok {
		return fail(fmt.Errorf("engine %q cannot seal a database", s.d.Name()))
	}
	s.mu.Lock()
	conn := s.freezeConn
	s.mu.Unlock()
	if conn == nil {
		return fail(errors.New("it is not frozen"))
	}
	reason := fmt.Sprintf("%s from %s to %s: resolve it again", dialect.SealedMessage, s.tenantName, movedTo)
	if err := sealer.SealCapture(ctx, conn, s.tenant, reason); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	s.sealed = true
	s.mu.Unlock()
	return nil
}

// Unseal removes the seal Seal put on database name of srv, with the
// capture it is a trigger on: the database takes writes again (a switch
// back to it). It is a no-op on a database that is not sealed.
func Unseal(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string) error {
	capture, ok := d.(dialect.ChangeCapture)
	if !ok {
		return fmt.Errorf("shadow: engine %q has no change capture", d.Name())
	}
	return removeCapture(ctx, srv, capture, name)
}
