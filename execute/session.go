package execute

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// Session is one database held under its migration lock, on one pinned
// connection. It is not safe for concurrent use.
type Session struct {
	e  *Executor
	db *dialect.Database
	// existing are the statements taken as done (see Resolve), by
	// migration ID.
	existing map[string][]int
	conn     *sql.Conn
	unlock   func(context.Context) error
	ledger   *ledger
	// ledgerMissing is set while the database has no ledger table yet:
	// the first write makes it (see beginTx and record), so that on an
	// engine with transactional DDL a fresh database's ledger commits with
	// its first migration instead of in a commit of its own.
	ledgerMissing bool
	// ledgerInTx is set when the open transaction made the ledger table.
	ledgerInTx bool
	// kill stops the statement running on conn on the server, where
	// cancelling the client does not (MySQL); nil elsewhere.
	kill func(context.Context) error
	// opened is the migration whose opening ledger row the previous
	// step's last write already made ("statement 1 started"), so that a
	// path of steps outside transactions writes once between two
	// statements, not twice (see opening).
	opened string
	// confine checks where the session is, on engines where a migration
	// can move it (see dialect.Confinement); nil elsewhere.
	confine dialect.Confinement
	// strayed is set once a migration moved the session out of the
	// database: Close then discards the connection.
	strayed bool
	// lockWait describes the lock the session waits for, asking through
	// another connection (see dialect.LockWaits); nil where the engine
	// cannot tell. waiting is its last answer during the current try.
	lockWait func(context.Context) string
	waiting  atomic.Pointer[string]
	// retried counts the lock retries of the steps not reported yet, by
	// step (see retryLocks and result).
	retried map[plan.Step]int
	// partWalks are the chunked migrations that a run in ranges left
	// part-way, by ID, noted by Apply when the session runs chunked
	// migrations whole (see findPartWalks).
	partWalks map[string]bool
	// stamper reads the schema's stamp in each commit of a step once
	// StampSchema asked for it; stamp is the last one read, "" once a step
	// started after it (see Stamp).
	stamper dialect.SchemaStamper
	stamp   string
}

// sessionIDer is the method dialect.QueryKiller and dialect.LockWaits
// share.
type sessionIDer interface {
	SessionID(ctx context.Context, conn *sql.Conn) (int64, error)
}

// Lock pins a connection to db, takes db's migration lock on it (waiting
// until ctx ends), checks that db belongs to the Executor's fleet (see
// Options.Owner), sets the engine's lock-wait limits and reads the
// ledger; a database without a ledger table gets one from the session's
// first ledger write. The caller must Close the session.
func (e *Executor) Lock(ctx context.Context, db *dialect.Database) (*Session, error) {
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db.Name, err)
	}
	unlock, err := e.dialect.Lock(ctx, conn, db)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %s: %w", db.Name, err)
	}
	s := &Session{e: e, db: db, conn: conn, unlock: unlock, ledger: newLedger(e.dialect, db, e.table)}
	// The session's id serves both capabilities that need it, which
	// share the method.
	if ider, ok := e.dialect.(sessionIDer); ok {
		id, err := ider.SessionID(ctx, conn)
		if err != nil {
			s.Close(ctx)
			return nil, err
		}
		if k, ok := e.dialect.(dialect.QueryKiller); ok {
			s.kill = func(ctx context.Context) error { return k.KillQuery(ctx, db.DB, id) }
		}
		s.lockWait = lockWaiter(e.dialect, db, id)
	}
	s.confine, _ = e.dialect.(dialect.Confinement)
	if err := s.prepare(ctx); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *Session) prepare(ctx context.Context) error {
	if err := s.e.guard(ctx, s.conn, s.db); err != nil {
		return err
	}
	if g, ok := s.e.dialect.(dialect.SessionGuard); ok {
		if err := g.GuardSession(ctx, s.conn, s.e.lockTimeout); err != nil {
			return fmt.Errorf("set lock timeouts on %s: %w", s.db.Name, err)
		}
	}
	_, missing, err := s.ledger.readOrMissing(ctx, s.conn)
	s.ledgerMissing = missing
	return err
}

// Provision makes db's ledger table, empty, unless it is there. herd makes
// each database it creates with its ledger, so that the database's first
// migration does not pay for it; a database without one (adopted, or made
// before herd did this) gets it from its first migration instead.
func (e *Executor) Provision(ctx context.Context, db *dialect.Database) error {
	if err := e.createLedger(ctx, db.DB, db); err != nil {
		return err
	}
	return e.guard(ctx, db.DB, db)
}

// createLedger makes db's ledger table through q.
func (e *Executor) createLedger(ctx context.Context, q querier, db *dialect.Database) error {
	if _, err := q.ExecContext(ctx, e.dialect.CreateLedger(dialect.Qualify(e.dialect, db, e.table))); err != nil {
		return fmt.Errorf("create ledger in %s: %w", db.Name, err)
	}
	return nil
}

// createLedger makes the session's ledger table through q.
func (s *Session) createLedger(ctx context.Context, q querier) error {
	return s.e.createLedger(ctx, q, s.db)
}

// beginTx begins a transaction on the session's connection. Where DDL is
// not transactional (MySQL) it first makes a missing ledger table, which
// would otherwise commit the transaction part-way.
func (s *Session) beginTx(ctx context.Context) (*sql.Tx, error) {
	if s.ledgerMissing && !dialect.HasTransactionalDDL(s.e.dialect) {
		if err := s.createLedger(ctx, s.conn); err != nil {
			return nil, err
		}
		s.ledgerMissing = false
	}
	s.ledgerInTx = false
	return s.conn.BeginTx(ctx, nil)
}

// record writes entries to the ledger in tx, making the missing ledger
// table in tx first.
func (s *Session) record(ctx context.Context, tx *sql.Tx, entries ...Entry) error {
	if s.ledgerMissing && !s.ledgerInTx {
		if err := s.createLedger(ctx, tx); err != nil {
			return err
		}
		s.ledgerInTx = true
	}
	return s.ledger.write(ctx, tx, entries...)
}

// StampSchema asks the session to read its database's schema stamp (see
// dialect.SchemaStamper), where the engine has one, in the transaction of
// every step that commits in one, just before it commits: Stamp then
// tells the schema as the run left it, with nothing another session did
// in between.
func (s *Session) StampSchema() {
	s.stamper, _ = s.e.dialect.(dialect.SchemaStamper)
}

// Stamp returns the schema stamp that the last step's commit read (see
// StampSchema), "" when there is none: the engine has no stamp, the
// session was not asked for it, or the last step that started did not
// commit in a transaction of its own or its path's (a step outside a
// transaction, a chunked step, a failure), so that what it changed is not
// in any stamp read.
func (s *Session) Stamp() string { return s.stamp }

// commit commits tx; a ledger table made in it exists from then on. Once
// StampSchema asked for it, it reads the schema stamp in tx first.
func (s *Session) commit(ctx context.Context, tx *sql.Tx) error {
	stamp := ""
	if s.stamper != nil {
		var err error
		if stamp, err = s.stamper.SchemaStamp(ctx, tx, s.db); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.stamp = stamp
	if s.ledgerInTx {
		s.ledgerMissing, s.ledgerInTx = false, false
	}
	return nil
}

// Close releases the lock and the connection. It uses a fresh context for
// the unlock when ctx has ended, so a cancelled run still lets go. When
// the unlock fails (the connection died) the connection is discarded
// rather than returned to the pool, so that the server frees the lock with
// the session, and the error says so. Nothing Close reports changes what
// the session committed.
func (s *Session) Close(ctx context.Context) error {
	return s.end(ctx, false)
}

// Discard ends the session by closing its connection, for a caller that
// closes the database right after. Where the lock ends with the server
// session (dialect.SessionLock), closing the connection releases it and no
// unlock is sent; elsewhere Discard unlocks first, as Close does.
func (s *Session) Discard(ctx context.Context) error {
	_, ok := s.e.dialect.(dialect.SessionLock)
	return s.end(ctx, ok)
}

// end closes the session's connection, unlocking first unless closing the
// connection releases the lock.
func (s *Session) end(ctx context.Context, closeReleases bool) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	var err error
	if !closeReleases {
		err = s.unlock(ctx)
	}
	if err != nil {
		err = fmt.Errorf("release the migration lock of %s (the connection is dropped, which frees it): %w", s.db.Name, err)
	}
	if err != nil || s.strayed || closeReleases {
		// driver.ErrBadConn from Raw makes database/sql close the
		// connection instead of pooling it (and ends the *sql.Conn): a
		// connection whose migration moved it to another database must
		// not serve another query, and one that still holds the lock must
		// not either.
		_ = s.conn.Raw(func(any) error { return driver.ErrBadConn })
		return err
	}
	return s.conn.Close()
}

// Ledger reads the database's ledger. Read it after Lock, so it cannot
// change before the plan made from it runs.
func (s *Session) Ledger(ctx context.Context) ([]Entry, error) {
	if s.ledgerMissing {
		return nil, nil
	}
	return s.ledger.read(ctx, s.conn)
}

// run executes one action. When ctx ends while it runs on an engine whose
// statements outlive their client (MySQL), the statement is killed on the
// server and run returns only once the session is idle, so a timed-out
// migration never keeps running behind herd's back.
func (s *Session) run(ctx context.Context, a action, db source.DB) error {
	defer s.watchLockWait(ctx)()
	if s.kill == nil {
		return a.run(ctx, db)
	}
	done, killed := make(chan struct{}), make(chan error, 1)
	go func() {
		select {
		case <-done:
			killed <- nil
		case <-ctx.Done():
			kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			killed <- s.kill(kctx)
		}
	}()
	err := a.run(ctx, db)
	close(done)
	if kerr := <-killed; kerr != nil {
		err = errors.Join(err, kerr)
	}
	return err
}

// Resolve takes statements of the migrations the session applies as done
// already: for each migration ID, the 1-based numbers of statements that
// create what the database holds identically (herd's pre-flight with
// on_conflict: adopt_identical found them). They do not run, and the
// step's ledger row and Result note them ("resolved: existed: statement
// 1").
func (s *Session) Resolve(existing map[string][]int) { s.existing = existing }

// result is the Result of step, started at start, with err, noting the
// statements Resolve took as done.
func (s *Session) result(step plan.Step, start time.Time, took time.Duration, err error) Result {
	m := step.Migration
	res := Result{Migration: m, Direction: step.Direction, Checksum: m.Checksum(s.e.dialect.Name()), Started: start,
		Duration: took, Err: err, LockRetries: s.retried[step], Note: s.resolvedNote(m, step.Direction)}
	delete(s.retried, step)
	return res
}

// resolvedNote is the note of m going in dir when Resolve took some of
// its statements as done ("resolved: existed: statement 1"), for its
// ledger row and its Result; "" otherwise.
func (s *Session) resolvedNote(m *source.Migration, dir plan.Direction) string {
	n := s.existing[m.ID()]
	if len(n) == 0 || dir != plan.Up {
		return ""
	}
	return fmt.Sprintf("resolved: existed: statement %s", strings.Trim(fmt.Sprint(n), "[]"))
}

// Database is the database the session locked.
func (s *Session) Database() *dialect.Database { return s.db }

// Conn is the connection that holds the session's lock, for reads between
// Apply calls (a pre-flight's look at the schema) that would otherwise
// open another connection. It must not be used while Apply runs, nor
// closed.
func (s *Session) Conn() *sql.Conn { return s.conn }
