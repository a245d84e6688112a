package control

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/source"
)

// The states of a row of the control schema's ledger, as herd's executor
// also writes them: a migration is applied, or dirty while (or after) it
// ran outside a transaction without finishing.
const (
	schemaApplied = "applied"
	schemaDirty   = "dirty"
)

// schemaMigrations returns herd's control schema migrations for d, oldest
// first.
func schemaMigrations(d dialect.Dialect) ([]*source.Migration, error) {
	src, err := source.Load(d.ControlSchema(), []source.Engine{d}, &source.Options{Root: "control-schema"})
	if err != nil {
		return nil, fmt.Errorf("load control schema: %w", err)
	}
	migrations := src.Migrations(source.System)
	if len(migrations) == 0 {
		return nil, errors.New("control schema has no migrations")
	}
	return migrations, nil
}

// migrateSchema applies the control schema migrations that db's ledger
// (LedgerTable) lacks, in order, under db's migration lock, and records
// each in the ledger with the rows herd's executor writes for a migration,
// so that control databases made by earlier versions of herd and by this
// one read alike. It refuses a ledger that holds a migration left dirty.
func migrateSchema(ctx context.Context, d dialect.Dialect, db *dialect.Database, q *queries, now func() time.Time) error {
	migrations, err := schemaMigrations(d)
	if err != nil {
		return err
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate control schema: %w", err)
	}
	defer conn.Close()
	unlock, err := d.Lock(ctx, conn, db)
	if err != nil {
		return fmt.Errorf("migrate control schema: lock: %w", err)
	}
	defer unlock(context.WithoutCancel(ctx)) //nolint:errcheck // closing the connection releases it too
	if _, err := conn.ExecContext(ctx, d.CreateLedger(dialect.Qualify(d, db, LedgerTable))); err != nil {
		return fmt.Errorf("migrate control schema: create ledger %s: %w", LedgerTable, err)
	}
	states, err := schemaStates(ctx, conn, q)
	if err != nil {
		return err
	}
	m := schemaMigrator{d: d, conn: conn, q: q, now: now}
	for _, mig := range migrations {
		switch st := states[mig.ID()]; st {
		case schemaApplied:
			continue
		case "":
			if err := m.apply(ctx, mig); err != nil {
				return fmt.Errorf("migrate control schema: %s: %w", mig.ID(), err)
			}
		default:
			return fmt.Errorf("control schema migration %s is %s in %s: it was left part-applied and needs an operator", mig.ID(), st, LedgerTable)
		}
	}
	return nil
}

// schemaStates returns the state of each migration in the control
// schema's ledger, by id.
func schemaStates(ctx context.Context, db querier, q *queries) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, q.schemaLedgerRead)
	if err != nil {
		return nil, fmt.Errorf("read control schema ledger: %w", err)
	}
	defer rows.Close()
	states := map[string]string{}
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			return nil, fmt.Errorf("read control schema ledger: %w", err)
		}
		states[id] = state
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read control schema ledger: %w", err)
	}
	return states, nil
}

// schemaVersion is the control schema version states record: the highest
// version whose migrations, and every one before them, are applied; nil
// when none is.
func schemaVersion(migrations []*source.Migration, states map[string]string) *semver.Version {
	var current *semver.Version
	for i, m := range migrations {
		if states[m.ID()] != schemaApplied {
			return current
		}
		if i+1 == len(migrations) || !migrations[i+1].Version.Equal(m.Version) {
			current = m.Version
		}
	}
	return current
}

// schemaMigrator applies control schema migrations on one connection that
// holds the database's migration lock.
type schemaMigrator struct {
	d    dialect.Dialect
	conn *sql.Conn
	q    *queries
	now  func() time.Time
}

// ledgerRow is one row of the control schema's ledger.
type ledgerRow struct {
	m                    *source.Migration
	engine               string
	state                string
	total, done, started int
	err                  string
	appliedAt            time.Time
	ms                   int64
}

func (m schemaMigrator) write(ctx context.Context, q execer, r ledgerRow) error {
	_, err := q.ExecContext(ctx, m.q.schemaLedgerWrite, r.m.ID(), r.m.Version.String(), string(r.m.Kind), r.m.Checksum(r.engine),
		r.state, string(Up), r.total, r.done, r.started, nullable(r.err), r.appliedAt.UTC(), r.ms)
	if err != nil {
		return fmt.Errorf("record in %s: %w", LedgerTable, err)
	}
	return nil
}

// apply runs mig's statements and records it: in one transaction where
// the engine's DDL is transactional; elsewhere statement by statement,
// with the ledger row dirty until the last one ran.
func (m schemaMigrator) apply(ctx context.Context, mig *source.Migration) error {
	script, ok := mig.Up(m.d.Name())
	if !ok {
		return errors.New("no up script for " + m.d.Name())
	}
	stmts, err := m.d.Split(script.SQL)
	if err != nil {
		return err
	}
	start := m.now()
	row := ledgerRow{m: mig, engine: m.d.Name(), state: schemaDirty, total: len(stmts), appliedAt: start}
	if dialect.HasTransactionalDDL(m.d) {
		tx, err := m.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st.SQL); err != nil {
				return fmt.Errorf("line %d: %w", st.Line, err)
			}
		}
		row.state, row.done, row.ms = schemaApplied, len(stmts), m.now().Sub(start).Milliseconds()
		if err := m.write(ctx, tx, row); err != nil {
			return err
		}
		return tx.Commit()
	}
	for i, st := range stmts {
		row.started = i + 1
		if err := m.write(ctx, m.conn, row); err != nil {
			return err
		}
		if _, err := m.conn.ExecContext(ctx, st.SQL); err != nil {
			row.err = err.Error()
			return errors.Join(fmt.Errorf("line %d: %w", st.Line, err), m.write(context.WithoutCancel(ctx), m.conn, row))
		}
		row.done = i + 1
	}
	row.state, row.appliedAt, row.ms = schemaApplied, m.now(), m.now().Sub(start).Milliseconds()
	return m.write(ctx, m.conn, row)
}

// SchemaVersion is the newest control schema version this build of herd
// has for engine d: the version Open migrates a control database to.
func SchemaVersion(d dialect.Dialect) (string, error) {
	migrations, err := schemaMigrations(d)
	if err != nil {
		return "", fmt.Errorf("control: %w", err)
	}
	return migrations[len(migrations)-1].Version.String(), nil
}
