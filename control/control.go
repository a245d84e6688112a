// Package control is herd's control database: the tenant registry, each
// database's schema version and migration status (the brief's
// database_schema_versions), the migration history
// (database_migration_history) and the audit log. Its own tables are
// versioned by herd's embedded control-schema migrations, applied with the
// same executor as every other migration, into the ledger table
// herd_control_migrations.
package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// LedgerTable is the ledger of herd's own control schema, kept apart from
// the application's system migrations in the same database.
const LedgerTable = "herd_control_migrations"

// Store reads and writes the control database. It is safe for concurrent
// use.
type Store struct {
	dialect dialect.Dialect
	db      *dialect.Database
	now     func() time.Time
	// serial is set for engines that take one writer at a time (SQLite):
	// herd queues its own writes on mu rather than let the engine's busy
	// handler back off and sleep.
	serial bool
	mu     sync.Mutex
	// group batches the version and history writes of concurrent
	// migrations into shared commits.
	group group
	// stmts are the prepared forms of the frequent writes.
	stmts statements
}

// Open brings the control schema in db up to date and returns a Store on
// it. now is the clock (nil means time.Now). The caller keeps ownership of
// db.
func Open(ctx context.Context, d dialect.Dialect, db *dialect.Database, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	if err := migrateSchema(ctx, d, db, now); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return newStore(d, db, now), nil
}

func newStore(d dialect.Dialect, db *dialect.Database, now func() time.Time) *Store {
	_, serial := d.(dialect.SingleWriter)
	_, inProcess := d.(dialect.InProcess)
	return &Store{dialect: d, db: db, now: now, serial: serial, stmts: statements{enabled: inProcess}}
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

func migrateSchema(ctx context.Context, d dialect.Dialect, db *dialect.Database, now func() time.Time) error {
	src, err := source.Load(d.ControlSchema(), []source.Engine{d}, &source.Options{Root: "control-schema"})
	if err != nil {
		return fmt.Errorf("load control schema: %w", err)
	}
	versions := src.Versions(source.System)
	if len(versions) == 0 {
		return errors.New("control schema has no migrations")
	}
	session, err := execute.New(d, &execute.Options{LedgerTable: LedgerTable, Now: now}).Lock(ctx, db)
	if err != nil {
		return err
	}
	defer session.Close(ctx)
	entries, err := session.Ledger(ctx)
	if err != nil {
		return err
	}
	p, err := plan.Make(src, source.System, execute.Applied(entries), versions[len(versions)-1],
		plan.Options{Engine: d.Name(), AllowExperimental: true})
	if err != nil {
		return fmt.Errorf("plan control schema: %w", err)
	}
	return session.Apply(ctx, p, discard{})
}

type discard struct{}

func (discard) Record(context.Context, execute.Result) error { return nil }

// Version formats a schema version as stored in the control database:
// without the leading v.
func Version(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}
