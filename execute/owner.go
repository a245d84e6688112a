package execute

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
)

// DefaultOwnerTable is the table, beside the ledger in each tenant
// database, that names the fleet owning the database.
const DefaultOwnerTable = "herd_schema_owner"

// Owner names the fleet that owns a tenant database: the identity of the
// control database that migrates it, and that control database's
// environment ("" for a configuration without environments). Environments
// that share servers would otherwise migrate each other's tenants.
type Owner struct {
	Fleet       string
	Environment string
}

func (o Owner) String() string {
	fleet := o.Fleet
	if len(fleet) > 12 {
		fleet = fleet[:12] + "…"
	}
	if o.Environment == "" {
		return "the fleet " + fleet + " (no environment)"
	}
	return fmt.Sprintf("environment %s (fleet %s)", o.Environment, fleet)
}

// OwnerError is a database that another fleet owns: herd writes nothing
// to it.
type OwnerError struct {
	Database string
	// Owner owns the database; Self is the fleet that was refused.
	Owner, Self Owner
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("database %s belongs to %s, not to this %s: nothing was written to it "+
		"(herd tenant add CODE --take-over moves it to this fleet; remove a registered tenant first, without --drop-database)",
		e.Database, e.Owner, strings.TrimPrefix(e.Self.String(), "the "))
}

// ownerTable reads and writes one database's owner table.
type ownerTable struct {
	d     dialect.Dialect
	db    *dialect.Database
	name  string // as given
	table string // qualified and quoted
}

func newOwnerTable(d dialect.Dialect, db *dialect.Database) ownerTable {
	return ownerTable{d: d, db: db, name: DefaultOwnerTable, table: dialect.Qualify(d, db, DefaultOwnerTable)}
}

func (o ownerTable) bind(query string) string {
	return strings.ReplaceAll(dialect.Bind(o.d, query), "{owner}", o.table)
}

// read returns the database's owner; ok is false when it has none (no
// owner table, or an empty one).
func (o ownerTable) read(ctx context.Context, q lookQuerier) (owner Owner, ok bool, err error) {
	err = q.QueryRowContext(ctx, o.bind(`SELECT fleet_id, environment FROM {owner}`), dialect.OneShot(o.d)...).Scan(&owner.Fleet, &owner.Environment)
	switch {
	case err == nil:
		return owner, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return Owner{}, false, nil
	}
	exists, terr := o.d.TableExists(ctx, q, o.db, o.name)
	if terr != nil || exists {
		return Owner{}, false, fmt.Errorf("read the owner of %s: %w", o.db.Name, errors.Join(err, terr))
	}
	return Owner{}, false, nil
}

// claim makes owner the database's only owner, making the table when it
// is missing.
func (o ownerTable) claim(ctx context.Context, q querier, owner Owner, now time.Time) error {
	steps := []struct {
		query string
		args  []any
	}{
		{`CREATE TABLE IF NOT EXISTS {owner} (
    fleet_id      VARCHAR(64) NOT NULL PRIMARY KEY,
    environment   VARCHAR(64) NOT NULL,
    claimed_at_ms BIGINT      NOT NULL
)`, nil},
		{`DELETE FROM {owner}`, nil},
		{`INSERT INTO {owner} (fleet_id, environment, claimed_at_ms) VALUES (?, ?, ?)`, []any{owner.Fleet, owner.Environment, now.UnixMilli()}},
	}
	for _, st := range steps {
		if _, err := q.ExecContext(ctx, o.bind(st.query), st.args...); err != nil {
			return fmt.Errorf("record %s as the owner of %s: %w", owner, o.db.Name, err)
		}
	}
	return nil
}

// guard refuses db when another fleet than e's owns it, and claims it for
// e's fleet when no fleet does (a database made before herd recorded
// owners). It does nothing for an Executor without an owner.
func (e *Executor) guard(ctx context.Context, q lookQuerier, db *dialect.Database) error {
	if e.owner == nil {
		return nil
	}
	t := newOwnerTable(e.dialect, db)
	owner, ok, err := t.read(ctx, q)
	switch {
	case err != nil:
		return err
	case !ok:
		return t.claim(ctx, q, *e.owner, e.now())
	case owner.Fleet != e.owner.Fleet:
		return &OwnerError{Database: db.Name, Owner: owner, Self: *e.owner}
	}
	return nil
}

// CheckOwner refuses db, with an *OwnerError, when another fleet than the
// Executor's owns it, and claims it when no fleet does. Call it before any
// write to a tenant database that does not go through a Session (a
// snapshot restore, a drop). It does nothing without Options.Owner.
func (e *Executor) CheckOwner(ctx context.Context, db *dialect.Database) error {
	return e.guard(ctx, db.DB, db)
}

// TakeOver makes the Executor's fleet the owner of db whoever owned it,
// and returns the owner before (false when there was none). It needs
// Options.Owner.
func (e *Executor) TakeOver(ctx context.Context, db *dialect.Database) (Owner, bool, error) {
	if e.owner == nil {
		return Owner{}, false, errors.New("take over " + db.Name + ": no fleet to take it over for")
	}
	t := newOwnerTable(e.dialect, db)
	before, ok, err := t.read(ctx, db.DB)
	if err != nil {
		return Owner{}, false, err
	}
	return before, ok, t.claim(ctx, db.DB, *e.owner, e.now())
}
