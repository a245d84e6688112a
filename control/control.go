package control

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/dialect"
)

// LedgerTable is the ledger of herd's own control schema, kept apart from
// the application's system migrations in the same database.
const LedgerTable = "herd_control_migrations"

// Store reads and writes the control database. It is safe for concurrent
// use.
type Store struct {
	Reader
	now func() time.Time
	// returning is set for engines whose INSERT returns the new row's id
	// (dialect.InsertReturning) rather than report it (LastInsertId).
	returning bool
	// serial is set for engines that take one writer at a time (SQLite):
	// herd queues its own writes on mu rather than let the engine's busy
	// handler back off and sleep.
	serial bool
	mu     sync.Mutex
	// group batches the version and history writes of concurrent
	// migrations into shared commits.
	group group
}

// Open brings the control schema in db up to date and returns a Store on
// it. now is the clock (nil means time.Now). It fails when d's control
// queries lack one that the Store runs. The caller keeps ownership of db.
func Open(ctx context.Context, d dialect.Dialect, db *dialect.Database, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	r, err := newReader(d, db)
	if err != nil {
		return nil, err
	}
	if err := migrateSchema(ctx, d, db, r.q, now); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	_, returning := d.(dialect.InsertReturning)
	_, serial := d.(dialect.SingleWriter)
	return &Store{Reader: *r, now: now, returning: returning, serial: serial}, nil
}

// exec runs one write statement outside a transaction.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.writer().ExecContext(ctx, query, args...)
}

// writer returns what single writes go through: the pool, queued behind
// the other writes of this process where the engine takes one writer.
func (s *Store) writer() execer {
	if !s.serial {
		return s.db.DB
	}
	return serialExec{s}
}

type serialExec struct{ s *Store }

func (e serialExec) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	return e.s.db.DB.ExecContext(ctx, query, args...)
}

// execer runs a statement: the pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// querier runs a query: the pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.serial {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	tx, err := s.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("control: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // the error that matters is fn's
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("control: commit: %w", err)
	}
	return nil
}

// insertID runs insert, a query that makes one row with an id, in tx and
// returns the new row's id.
func (s *Store) insertID(ctx context.Context, tx *sql.Tx, insert string, args ...any) (int64, error) {
	if s.returning {
		var id int64
		err := tx.QueryRowContext(ctx, insert, args...).Scan(&id)
		return id, err
	}
	res, err := tx.ExecContext(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// GuardRunner takes the control database's runner lock where the engine
// serves one runner process at a time (SQLite); elsewhere it does nothing.
// It fails with an error wrapping dialect.ErrRunnerBusy when another
// process runs.
func (s *Store) GuardRunner() (release func() error, err error) {
	g, ok := s.d.(dialect.RunnerGuard)
	if !ok {
		return func() error { return nil }, nil
	}
	return g.GuardRunner(s.db)
}

// Version formats a schema version as stored in the control database:
// without the leading v.
func Version(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// nullable writes "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
