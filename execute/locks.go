package execute

import (
	"context"
	"fmt"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
)

// DefaultLockTimeout bounds each lock wait of a migration statement when
// Options.LockTimeout is zero: a statement waiting longer gives up, and
// the application's queries queued behind it go on.
const DefaultLockTimeout = 5 * time.Second

// maxLockBackoff caps the wait before a retry.
const maxLockBackoff = 30 * time.Second

// LockError is a migration step that gave up waiting for a lock on every
// try: the last try's transaction was rolled back (or, outside a
// transaction, the statement did not run).
type LockError struct {
	// Tries is how many times the step waited, each up to Timeout.
	Tries   int
	Timeout time.Duration
	// Wait names the lock and its holder, where the engine tells: ""
	// otherwise.
	Wait string
	Err  error
}

func (e *LockError) Error() string {
	msg := fmt.Sprintf("waited %d × %s for a lock", e.Tries, e.Timeout)
	if e.Wait != "" {
		msg += " (" + e.Wait + ")"
	}
	return msg + ": " + e.Err.Error()
}

func (e *LockError) Unwrap() error { return e.Err }

// lockBackoff is the wait before retry n (1-based): half the lock timeout,
// doubling with each retry, at most maxLockBackoff.
func lockBackoff(timeout time.Duration, n int) time.Duration {
	wait := timeout / 2
	for i := 1; i < n && wait < maxLockBackoff; i++ {
		wait *= 2
	}
	return min(wait, maxLockBackoff)
}

// lockTimedOut reports whether err is a statement that gave up on a lock.
func (s *Session) lockTimedOut(err error) bool {
	g, ok := s.e.dialect.(dialect.SessionGuard)
	return ok && err != nil && g.LockTimedOut(err)
}

// retryLocks runs try, and runs it again after a backoff while it fails
// by giving up on a lock, Options.LockRetries times at most; each retry
// is announced as a lock.retry event of statement n of step (0: the whole
// transaction). try must leave the database as it found it when it fails
// so: a rolled-back transaction, or one statement that did not run. The
// last such failure is returned as a *LockError.
func (s *Session) retryLocks(ctx context.Context, step plan.Step, n int, try func() error) error {
	for tries := 1; ; tries++ {
		s.waiting.Store(nil)
		err := try()
		if !s.lockTimedOut(err) {
			return err
		}
		wait := ""
		if w := s.waiting.Load(); w != nil {
			wait = *w
		}
		if tries > s.e.lockRetries || ctx.Err() != nil {
			return &LockError{Tries: tries, Timeout: s.e.lockTimeout, Wait: wait, Err: err}
		}
		backoff := lockBackoff(s.e.lockTimeout, tries)
		reason := fmt.Sprintf("try %d of %d gave up on a lock after %s", tries, s.e.lockRetries+1, s.e.lockTimeout)
		if wait != "" {
			reason += " (" + wait + ")"
		}
		s.emit(event.LockRetry, step, n, backoff, fmt.Errorf("%s; retrying in %s", reason, backoff))
		if s.retried == nil {
			s.retried = map[plan.Step]int{}
		}
		s.retried[step]++
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return &LockError{Tries: tries, Timeout: s.e.lockTimeout, Wait: wait, Err: err}
		case <-t.C:
		}
	}
}

// watchLockWait starts asking, once a statement has run for three
// quarters of the lock timeout, what lock it waits for, and keeps the
// answer for retryLocks' messages. It returns the function that stops it.
// It does nothing on engines that cannot tell.
func (s *Session) watchLockWait(ctx context.Context) (stop func()) {
	if s.lockWait == nil || s.e.lockTimeout <= 0 {
		return func() {}
	}
	t := time.AfterFunc(s.e.lockTimeout*3/4, func() {
		if desc := s.lockWait(ctx); desc != "" {
			s.waiting.Store(&desc)
		}
	})
	return func() { t.Stop() }
}

// lockWaiter returns what Session.lockWait asks through db, for session
// id; nil when the engine cannot tell.
func lockWaiter(d dialect.Dialect, db *dialect.Database, id int64) func(context.Context) string {
	w, ok := d.(dialect.LockWaits)
	if !ok {
		return nil
	}
	return func(ctx context.Context) string {
		desc, err := w.LockWait(ctx, db.DB, id)
		if err != nil {
			return ""
		}
		return desc
	}
}
