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
	f, err := freeze(ctx, s.srv, s.d, s.tenantName, s.frozen, timeout)
	if err != nil {
		return fail(err)
	}
	s.mu.Lock()
	s.freezing, s.caughtUp, s.freeze = true, 0, f
	s.mu.Unlock()
	return func() error {
		s.mu.Lock()
		s.freezing, s.freeze = false, nil
		s.mu.Unlock()
		if err := f.Release(); err != nil {
			return fmt.Errorf("shadow: release the freeze of tenant %q: %w", s.tenantName, err)
		}
		return nil
	}, nil
}

// Frozen is a database whose writes are frozen, as Shadow.Freeze freezes
// a tenant's, until Release. Safe for concurrent use.
type Frozen struct {
	srv dialect.Server
	d   dialect.Dialect
	// name is the database's name as the caller gave it; db its pool.
	name   string
	db     *dialect.Database
	conn   *sql.Conn
	unlock func() error

	once   sync.Once
	relErr error
}

// FreezeDatabase freezes the writes to every table of database name of
// srv but herd's capture table, as Shadow.Freeze does, for a tenant that
// leaves it (a switch back): once the registry names the other database,
// Seal refuses the writes that waited, and Release ends the freeze.
func FreezeDatabase(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string, timeout time.Duration) (*Frozen, error) {
	fail := func(err error) (*Frozen, error) {
		return nil, fmt.Errorf("shadow: freeze %q: %w", name, err)
	}
	ins, ok := d.(dialect.Inspector)
	if !ok {
		return fail(fmt.Errorf("engine %q cannot list a database's tables", d.Name()))
	}
	db, err := srv.Open(ctx, name)
	if err != nil {
		return fail(err)
	}
	all, err := ins.Tables(ctx, db.DB, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	f, err := freeze(ctx, srv, d, name, freezable(all), timeout)
	if err != nil {
		return fail(err)
	}
	return f, nil
}

// freeze freezes the writes to tables of database name of srv, from a
// pool of its own (closing it ends the session, and the lock with it).
func freeze(ctx context.Context, srv dialect.Server, d dialect.Dialect, name string, tables []string, timeout time.Duration) (*Frozen, error) {
	guard, ok := d.(dialect.SessionGuard)
	if !ok {
		return nil, fmt.Errorf("engine %q cannot bound a lock wait", d.Name())
	}
	freezer, ok := d.(dialect.WriteFreezer)
	if !ok {
		return nil, fmt.Errorf("engine %q cannot freeze writes", d.Name())
	}
	db, err := srv.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	unlock, err := freezeOn(ctx, guard, freezer, conn, db, tables, timeout)
	if err != nil {
		_ = conn.Close()
		_ = db.Close()
		return nil, err
	}
	return &Frozen{srv: srv, d: d, name: name, db: db, conn: conn, unlock: unlock}, nil
}

// freezeOn takes the freeze on conn, in attempts, until timeout has
// passed.
func freezeOn(ctx context.Context, guard dialect.SessionGuard, freezer dialect.WriteFreezer, conn *sql.Conn, db *dialect.Database,
	tables []string, timeout time.Duration) (func() error, error) {
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		wait := min(freezeAttempt, max(time.Until(deadline), time.Millisecond))
		if err := guard.GuardSession(ctx, conn, wait); err != nil {
			return nil, err
		}
		unlock, err := freezer.FreezeWrites(ctx, conn, db, tables)
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

// Seal seals the frozen database: once Release ends the freeze, every
// write to its captured tables fails with an error that starts with
// dialect.SealedMessage and names movedTo, the database the tenant moved
// to, until Unseal (or Remove) removes the capture. The database must
// capture its changes (a tenant's, or one Watch watches): the seal is a
// trigger on its capture table.
func (f *Frozen) Seal(ctx context.Context, movedTo string) error {
	sealer, ok := f.d.(dialect.CaptureSealer)
	if !ok {
		return fmt.Errorf("shadow: seal %q: engine %q cannot seal a database", f.name, f.d.Name())
	}
	reason := fmt.Sprintf("%s from %s to %s: resolve it again", dialect.SealedMessage, f.name, movedTo)
	if err := sealer.SealCapture(ctx, f.conn, f.db, reason); err != nil {
		return fmt.Errorf("shadow: seal %q: %w", f.name, err)
	}
	return nil
}

// SwapNames renames, in the freeze, the frozen database to old and
// database other to the frozen database's name, on a server whose
// tenants swap names (dialect.NameSwapper; see Swaps): the renames and
// the end of the freeze commit together at Release, and the
// application's connections by the tenant's name reach other from then
// on. Each database's change capture, if any, goes on writing to its own
// capture table, and a seal stays with its database.
func (f *Frozen) SwapNames(ctx context.Context, other, old string) error {
	swapper, ok := f.srv.(dialect.NameSwapper)
	if !ok || !swapper.SwapsNames() {
		return fmt.Errorf("shadow: rename %q: its server's tenants do not swap names", f.name)
	}
	if err := swapper.SwapNames(ctx, f.conn, f.name, other, old); err != nil {
		return fmt.Errorf("shadow: %w", err)
	}
	return nil
}

// Swaps reports whether srv's tenants swap names (dialect.NameSwapper):
// a switch then gives the tenant's name to its migrated copy
// (Frozen.SwapNames) instead of moving the tenant to the copy's name.
func Swaps(srv dialect.Server) bool {
	swapper, ok := srv.(dialect.NameSwapper)
	return ok && swapper.SwapsNames()
}

// Release ends the freeze, committing the seal where the freeze is a
// transaction. It is safe to call more than once; it returns the error of
// ending the lock, after which the lock's connection is closed anyway.
func (f *Frozen) Release() error {
	f.once.Do(func() { f.relErr = errors.Join(f.unlock(), f.conn.Close(), f.db.Close()) })
	return f.relErr
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
	f, err := s.frozenFor("seal")
	if err != nil {
		return err
	}
	if err := f.Seal(ctx, movedTo); err != nil {
		return err
	}
	s.mu.Lock()
	s.sealed = true
	s.mu.Unlock()
	return nil
}

// SwapNames gives the tenant's name to its shadow and the name old to
// the tenant, in the tenant's freeze (Freeze), on a server whose tenants
// swap names (see Frozen.SwapNames): the shadow's mark goes in the same
// transaction, since the shadow is the tenant from then on. Seal it
// first, so that the database it leaves refuses writes under its new
// name. After SwapNames, Name and Tenant name the databases as they were
// before it; StopCapture keeps the capture of the tenant's database (its
// seal) and removes none from the shadow.
func (s *Shadow) SwapNames(ctx context.Context, old string) error {
	f, err := s.frozenFor("rename")
	if err != nil {
		return err
	}
	if _, err := f.conn.ExecContext(ctx, "DROP TABLE "+dialect.Qualify(s.d, s.shadow, MarkerTable)); err != nil {
		return fmt.Errorf("shadow: rename tenant %q: unmark %q: %w", s.tenantName, s.name, err)
	}
	if err := f.SwapNames(ctx, s.name, old); err != nil {
		return err
	}
	s.mu.Lock()
	s.swapped = true
	s.mu.Unlock()
	return nil
}

// frozenFor returns the tenant's freeze, for what (an action, in the
// error), which fails when the Shadow is closed or the tenant not frozen.
func (s *Shadow) frozenFor(what string) (*Frozen, error) {
	if err := s.closed(); err != nil {
		return nil, fmt.Errorf("shadow: %s tenant %q: %w", what, s.tenantName, err)
	}
	s.mu.Lock()
	f := s.freeze
	s.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("shadow: %s tenant %q: it is not frozen", what, s.tenantName)
	}
	return f, nil
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
