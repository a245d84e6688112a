// Package execute applies a plan to one database: under the database's
// lock, on one pinned connection, each migration in a transaction where the
// engine allows it, with the ledger row written in the same transaction.
// Where a migration cannot run in a transaction (MySQL DDL, or a migration
// marked herd:no-transaction) it follows a dirty protocol: statement k is
// recorded as started before it runs and as done after, so a failure or a
// kill leaves a precise record that herd repair acts on.
package execute

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// Options configures an Executor. A nil *Options means the defaults.
type Options struct {
	// LedgerTable is the ledger's table name; default DefaultLedgerTable.
	LedgerTable string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Observe, if set, receives every event, synchronously.
	Observe func(Event)
	// Splits, if set, is shared by the Executors of a fleet so that each
	// script is split once; default a cache of this Executor's own.
	Splits *Splits
	// Owner, if set, is the fleet the Executor works for: Lock refuses a
	// database that another fleet owns (an *OwnerError, before any
	// statement) and records this fleet as the owner of a database that
	// has none, and Provision records it in the databases it provisions.
	// Leave it nil for databases that are not tenants'.
	Owner *Owner
}

// Executor applies plans with one dialect. It is safe for concurrent use
// on different databases; the lock serialises work on the same one.
type Executor struct {
	dialect dialect.Dialect
	table   string
	now     func() time.Time
	observe func(Event)
	splits  *Splits
	owner   *Owner
}

// New returns an Executor for dialect d.
func New(d dialect.Dialect, opts *Options) *Executor {
	e := &Executor{dialect: d, table: DefaultLedgerTable, now: time.Now, observe: func(Event) {}, splits: &Splits{}}
	if opts != nil {
		if opts.Splits != nil {
			e.splits = opts.Splits
		}
		if opts.LedgerTable != "" {
			e.table = opts.LedgerTable
		}
		if opts.Now != nil {
			e.now = opts.Now
		}
		if opts.Observe != nil {
			e.observe = opts.Observe
		}
		e.owner = opts.Owner
	}
	return e
}

// Session is one database held under its migration lock, on one pinned
// connection. It is not safe for concurrent use.
type Session struct {
	e      *Executor
	db     *dialect.Database
	conn   *sql.Conn
	unlock func(context.Context) error
	ledger *ledger
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
	if k, ok := e.dialect.(dialect.QueryKiller); ok {
		id, err := k.SessionID(ctx, conn)
		if err != nil {
			s.Close(ctx)
			return nil, err
		}
		s.kill = func(ctx context.Context) error { return k.KillQuery(ctx, db.DB, id) }
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
		if err := g.GuardSession(ctx, s.conn); err != nil {
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

// commit commits tx; a ledger table made in it exists from then on.
func (s *Session) commit(tx *sql.Tx) error {
	if err := tx.Commit(); err != nil {
		return err
	}
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
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	err := s.unlock(ctx)
	if err != nil || s.strayed {
		// driver.ErrBadConn from Raw makes database/sql close the
		// connection instead of pooling it: a connection whose migration
		// moved it to another database must not serve another query.
		_ = s.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	if err != nil {
		err = fmt.Errorf("release the migration lock of %s (the connection is dropped, which frees it): %w", s.db.Name, err)
	}
	return errors.Join(err, s.conn.Close())
}

// Ledger reads the database's ledger. Read it after Lock, so it cannot
// change before the plan made from it runs.
func (s *Session) Ledger(ctx context.Context) ([]Entry, error) {
	if s.ledgerMissing {
		return nil, nil
	}
	return s.ledger.read(ctx, s.conn)
}

// Recorder receives the outcome of every migration step, for the control
// database's history.
type Recorder interface {
	Record(ctx context.Context, r Result) error
}

// Result is the outcome of one step.
type Result struct {
	Migration *source.Migration
	Direction plan.Direction
	Checksum  string
	Started   time.Time
	Duration  time.Duration
	// Err is nil on success.
	Err error
	// Note, if set, says how a step came about that herd did not run: a
	// migration undone by restoring a snapshot.
	Note string
}

// Apply runs the plan's steps in order, recording each to rec, and stops
// at the first failure, which it returns as a *MigrationError. Where every
// step can run in a transaction, the whole path commits as one: a failure
// anywhere leaves the database where the plan found it. Otherwise each
// step commits on its own (or follows the dirty protocol).
func (s *Session) Apply(ctx context.Context, p *plan.Plan, rec Recorder) error {
	steps := make([]prepared, len(p.Steps))
	whole := true
	for i, step := range p.Steps {
		steps[i] = s.prepareStep(step)
		whole = whole && steps[i].err == nil && steps[i].transactional
	}
	if whole && len(steps) > 1 {
		return s.applyPath(ctx, steps, rec)
	}
	for i, st := range steps {
		start := s.e.now()
		s.started(st.step)
		err := st.err
		if err == nil {
			var next *prepared
			if i+1 < len(steps) {
				next = &steps[i+1]
			}
			err = s.step(ctx, st, next)
		}
		if err := s.finish(ctx, rec, st.step, start, err); err != nil {
			return s.unopen(ctx, err)
		}
	}
	return nil
}

// prepared is a step with its statements and how it runs.
type prepared struct {
	step          plan.Step
	actions       []action
	transactional bool
	// mayLeave is set when the step may move the session out of the
	// database (see Session.mayLeave).
	mayLeave bool
	err      error
}

// prepareStep reads a step's statements. A migration runs in a transaction
// unless it asks not to, or the engine would commit its DDL implicitly
// part-way (MySQL); data-only and Go migrations run in one on every engine.
func (s *Session) prepareStep(step plan.Step) prepared {
	m := step.Migration
	actions, err := s.actions(m, step.Direction)
	if err != nil {
		return prepared{step: step, err: s.fail(step, action{}, err)}
	}
	tx := !m.NoTransaction && (dialect.HasTransactionalDDL(s.e.dialect) || m.Go != nil || onlyDML(actions))
	p := prepared{step: step, actions: actions, transactional: tx}
	p.mayLeave = s.mayLeave(p)
	return p
}

func (s *Session) started(step plan.Step) {
	s.e.observe(Event{Kind: MigrationStarted, Database: s.db.Name, Migration: step.Migration.ID(), Direction: step.Direction})
}

// finish reports a step's outcome to the observer and the recorder, and
// returns the step's error, or the recorder's.
func (s *Session) finish(ctx context.Context, rec Recorder, step plan.Step, start time.Time, err error) error {
	m := step.Migration
	res := Result{Migration: m, Direction: step.Direction, Checksum: m.Checksum(s.e.dialect.Name()),
		Started: start, Duration: s.e.now().Sub(start), Err: err}
	s.e.observe(Event{Kind: finished(err), Database: s.db.Name, Migration: m.ID(), Direction: step.Direction,
		Duration: res.Duration, Err: err})
	if rerr := rec.Record(context.WithoutCancel(ctx), res); rerr != nil {
		return errors.Join(err, fmt.Errorf("record %s in the control database: %w", m.ID(), rerr))
	}
	return err
}

// step runs one step on its own; next is the step after it, if any.
func (s *Session) step(ctx context.Context, st prepared, next *prepared) error {
	if st.transactional {
		return s.inTransaction(ctx, st)
	}
	entry := s.entry(st.step.Migration, st.step.Direction, len(st.actions))
	if st.step.Direction == plan.Down {
		return s.outsideTransaction(ctx, st.step, entry, st.actions, 1, false, nil)
	}
	if s.ledgerMissing {
		if err := s.createLedger(ctx, s.conn); err != nil {
			return err
		}
		s.ledgerMissing = false
	}
	// The new row records the first statement as started, so that it
	// needs no write of its own.
	if len(st.actions) > 0 {
		entry.StatementStarted = st.actions[0].n
	}
	if s.opened == entry.ID {
		if err := ctx.Err(); err != nil {
			return s.unopen(ctx, s.fail(st.step, action{}, err))
		}
		s.opened = ""
	} else if err := s.ledger.write(ctx, s.conn, entry); err != nil {
		return err
	}
	return s.outsideTransaction(ctx, st.step, entry, st.actions, 1, len(st.actions) > 0, s.opening(next))
}

// unopen takes back the opening row written ahead for a step that will
// not run (see opening), so that the ledger shows it as never begun, and
// returns err with any failure to do so.
func (s *Session) unopen(ctx context.Context, err error) error {
	if s.opened == "" {
		return err
	}
	id := s.opened
	s.opened = ""
	return errors.Join(err, s.ledger.remove(context.WithoutCancel(ctx), s.conn, id))
}

// opening is the ledger row next would begin with when it is an up step
// that runs outside a transaction: a new row with its first statement
// started. The step before it writes this row in the same statement as
// its own last one, as nothing runs on the database between the two.
func (s *Session) opening(next *prepared) *Entry {
	if next == nil || next.err != nil || next.transactional || next.step.Direction != plan.Up || len(next.actions) == 0 {
		return nil
	}
	e := s.entry(next.step.Migration, plan.Up, len(next.actions))
	e.StatementStarted = next.actions[0].n
	return &e
}

// applyPath runs every step in one transaction and reports them once it
// committed; a failure rolls the whole path back and is reported on the
// step that failed.
func (s *Session) applyPath(ctx context.Context, steps []prepared, rec Recorder) error {
	tx, err := s.beginTx(ctx)
	if err != nil {
		return s.finish(ctx, rec, steps[0].step, s.e.now(), s.fail(steps[0].step, action{}, fmt.Errorf("begin: %w", err)))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	starts := make([]time.Time, len(steps))
	durations := make([]time.Duration, len(steps))
	var entries []Entry // written together, just before the commit
	for i, st := range steps {
		starts[i] = s.e.now()
		s.started(st.step)
		entry, err := s.stepInTx(ctx, tx, st.step, st.actions)
		if err != nil {
			tx.Rollback() //nolint:errcheck // the step's error is the one to report
			return s.finish(ctx, rec, st.step, starts[i], fmt.Errorf("%w (the path was rolled back whole)", err))
		}
		if entry != nil {
			entries = append(entries, *entry)
		}
		durations[i] = s.e.now().Sub(starts[i])
	}
	last := steps[len(steps)-1].step
	// Where the session is is checked once for the whole path, in its
	// transaction: a move anywhere in it rolls all of it back.
	if slices.ContainsFunc(steps, func(st prepared) bool { return st.mayLeave }) {
		if err := s.confined(ctx, tx); err != nil {
			tx.Rollback() //nolint:errcheck // the move is the error to report
			return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{},
				fmt.Errorf("%w (checked at the end of the path, which was rolled back whole)", err)))
		}
	}
	if err := s.record(ctx, tx, entries...); err != nil {
		tx.Rollback() //nolint:errcheck // the ledger's error is the one to report
		return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{}, fmt.Errorf("%w (the path was rolled back whole)", err)))
	}
	if err := s.commit(tx); err != nil {
		return s.finish(ctx, rec, last, starts[len(steps)-1], s.fail(last, action{}, fmt.Errorf("commit: %w", err)))
	}
	for i, st := range steps {
		m := st.step.Migration
		res := Result{Migration: m, Direction: st.step.Direction, Checksum: m.Checksum(s.e.dialect.Name()),
			Started: starts[i], Duration: durations[i]}
		s.e.observe(Event{Kind: MigrationFinished, Database: s.db.Name, Migration: m.ID(), Direction: st.step.Direction, Duration: res.Duration})
		if err := rec.Record(context.WithoutCancel(ctx), res); err != nil {
			return fmt.Errorf("record %s in the control database: %w", m.ID(), err)
		}
	}
	return nil
}

// entry is the ledger row for m at the start of a step.
func (s *Session) entry(m *source.Migration, dir plan.Direction, total int) Entry {
	return Entry{ID: m.ID(), Version: m.Version.String(), Kind: string(m.Kind), Checksum: m.Checksum(s.e.dialect.Name()),
		State: StateDirty, Direction: dir, StatementsTotal: total, AppliedAt: s.e.now()}
}

// inTransaction runs a step, its validation and its ledger write in one
// transaction: a failure anywhere leaves the database as it was.
func (s *Session) inTransaction(ctx context.Context, st prepared) error {
	step := st.step
	tx, err := s.beginTx(ctx)
	if err != nil {
		return s.fail(step, action{}, fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	entry, err := s.stepInTx(ctx, tx, step, st.actions)
	if err != nil {
		return err
	}
	if st.mayLeave {
		if err := s.confined(ctx, tx); err != nil {
			return s.fail(step, action{}, fmt.Errorf("%w (rolled back)", err))
		}
	}
	if entry != nil {
		if err := s.record(ctx, tx, *entry); err != nil {
			return s.fail(step, action{}, err)
		}
	}
	if err := s.commit(tx); err != nil {
		return s.fail(step, action{}, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// stepInTx runs a step's statements and its validation in tx. Going
// down, it removes the step's ledger row in tx; going up, it returns the
// row for the caller to write in tx.
func (s *Session) stepInTx(ctx context.Context, tx *sql.Tx, step plan.Step, actions []action) (*Entry, error) {
	m := step.Migration
	start := s.e.now()
	for _, a := range actions {
		s.e.observe(Event{Kind: StatementStarted, Database: s.db.Name, Migration: m.ID(), Direction: step.Direction, Statement: a.n})
		if err := s.run(ctx, a, tx); err != nil {
			return nil, s.fail(step, a, err)
		}
	}
	if step.Direction == plan.Down {
		if err := s.ledger.remove(ctx, tx, m.ID()); err != nil {
			return nil, s.fail(step, action{}, err)
		}
		return nil, nil
	}
	if err := s.validate(ctx, tx, m); err != nil {
		return nil, s.fail(step, action{}, err)
	}
	entry := s.entry(m, plan.Up, len(actions))
	entry.State, entry.StatementsDone = StateApplied, len(actions)
	entry.ExecutionMS = s.e.now().Sub(start).Milliseconds()
	return &entry, nil
}

// outsideTransaction runs actions from number from on, recording each
// statement as started before it runs and as done after: the first start
// on its own (unless started says the ledger already records it), then
// each "k done" in the same write as "k+1 started", and the last "done" in
// the write that ends the migration, which also writes next, the opening
// row of the step that follows, when there is one. A data statement runs
// in a transaction with its "done" write, so that it is never uncertain:
// after a kill it either ran and says so or did not run. A statement that
// fails is recorded with its error; another statement interrupted by the
// end of ctx is left started but not done, because it may still complete
// on the server.
func (s *Session) outsideTransaction(ctx context.Context, step plan.Step, entry Entry, actions []action, from int, started bool, next *Entry) error {
	m := step.Migration
	start := s.e.now()
	todo := actions[from-1:]
	for i, a := range todo {
		if i == 0 && !started {
			entry.StatementStarted, entry.Error = a.n, ""
			if err := s.ledger.write(ctx, s.conn, entry); err != nil {
				return s.fail(step, a, err)
			}
		}
		s.e.observe(Event{Kind: StatementStarted, Database: s.db.Name, Migration: m.ID(), Direction: step.Direction, Statement: a.n})
		done := entry
		done.StatementsDone = a.n
		if i+1 < len(todo) {
			done.StatementStarted = todo[i+1].n
		}
		if a.isDML() {
			if err := s.runRecorded(ctx, a, done); err != nil {
				return s.failDirty(ctx, step, entry, a, err)
			}
			entry = done
			continue
		}
		if err := s.run(ctx, a, s.conn); err != nil {
			return s.failDirty(ctx, step, entry, a, err)
		}
		if a.mayLeave {
			if err := s.confined(ctx, s.conn); err != nil {
				ran := entry // a ran, and nothing after it
				ran.StatementsDone = a.n
				return s.failDirty(ctx, step, ran, a, err)
			}
		}
		entry = done
		if i+1 < len(todo) {
			if err := s.ledger.write(ctx, s.conn, entry); err != nil {
				return s.fail(step, a, err)
			}
		}
	}
	if step.Direction == plan.Down {
		if err := s.ledger.remove(ctx, s.conn, m.ID()); err != nil {
			return s.fail(step, action{}, err)
		}
		return nil
	}
	if err := s.validate(ctx, s.conn, m); err != nil {
		return s.failDirty(ctx, step, entry, action{}, err)
	}
	if s.validateMayLeave(m) {
		if err := s.confined(ctx, s.conn); err != nil {
			return s.failDirty(ctx, step, entry, action{}, err)
		}
	}
	entry.State, entry.Error, entry.AppliedAt = StateApplied, "", s.e.now()
	entry.ExecutionMS = s.e.now().Sub(start).Milliseconds()
	rows := []Entry{entry}
	if next != nil {
		rows = append(rows, *next)
	}
	if err := s.ledger.write(ctx, s.conn, rows...); err != nil {
		return s.fail(step, action{}, err)
	}
	if next != nil {
		s.opened = next.ID
	}
	return nil
}

// runRecorded runs a data statement and writes done, its ledger row once
// it ran, in one transaction.
func (s *Session) runRecorded(ctx context.Context, a action, done Entry) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.run(ctx, a, tx); err != nil {
		return err
	}
	if a.mayLeave {
		if err := s.confined(ctx, tx); err != nil {
			return err
		}
	}
	if err := s.ledger.write(ctx, tx, done); err != nil {
		return err
	}
	return tx.Commit()
}

// failDirty records a failed statement (or validation) in the ledger and
// returns the error. When ctx has ended the statement's fate is unknown,
// and the row is left as "started, not done".
func (s *Session) failDirty(ctx context.Context, step plan.Step, entry Entry, a action, err error) error {
	if ctx.Err() == nil {
		entry.Error = err.Error()
		if a.n == 0 {
			entry.Error = "validate: " + entry.Error
		}
		if uerr := s.ledger.write(ctx, s.conn, entry); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}
	return s.fail(step, a, err)
}

func (s *Session) fail(step plan.Step, a action, err error) error {
	return &MigrationError{Database: s.db.Name, Migration: step.Migration.ID(), Direction: step.Direction,
		Statement: a.n, File: a.file, Line: a.line, Err: err}
}

// ErrOutcomeUnknown marks a run that failed and then lost its database
// before the ledger could be read again: whether its last step committed
// is not known. Nothing may roll such a run back automatically; the next
// run reads the ledger first and settles it.
var ErrOutcomeUnknown = errors.New("outcome unknown: the ledger could not be read after the failure")

// MigrationError is a step that failed, naming the statement.
type MigrationError struct {
	Database  string
	Migration string
	Direction plan.Direction
	// Statement is the 1-based statement number, 0 when the failure was
	// outside the migration's statements (validation, ledger, commit).
	Statement int
	File      string
	Line      int
	Err       error
}

func (e *MigrationError) Error() string {
	where := ""
	if e.Statement > 0 {
		where = fmt.Sprintf(" statement %d", e.Statement)
		if e.File != "" {
			where += fmt.Sprintf(" (%s:%d)", e.File, e.Line)
		}
	}
	return fmt.Sprintf("%s (%s)%s: %v", e.Migration, e.Direction, where, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// run executes one action. When ctx ends while it runs on an engine whose
// statements outlive their client (MySQL), the statement is killed on the
// server and run returns only once the session is idle, so a timed-out
// migration never keeps running behind herd's back.
func (s *Session) run(ctx context.Context, a action, db source.DB) error {
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
