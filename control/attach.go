package control

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect"
)

// AttachVersion is the lowest control schema version Attach accepts: the
// one that added the tenants' drift, which status reads (Drifts); the
// shadow migrations' phases a Reader reads (ShadowRun,
// RunningShadowRuns) came in 1.8.0, the write freezes a router reads
// (WriteFreezes) in 1.7.0, the tenants' sizes, which a Reader's tenant
// rows carry, in 1.6.0, and the change counter, Generation, in 1.4.0.
const AttachVersion = "1.9.0"

// ErrControlSchemaOutdated is wrapped by the error Attach returns for a
// control database whose control schema is below AttachVersion (or that
// has none): herd must migrate it first, with herd migrate --system.
var ErrControlSchemaOutdated = errors.New("control schema is outdated")

// Attach returns a Reader on db, without touching the control schema: it
// never creates or migrates a table, which only herd itself (Open, behind
// herd migrate --system) may do. It reads herd's control schema ledger and
// fails with an error wrapping ErrControlSchemaOutdated when the schema is
// below AttachVersion, or when a control schema migration is left
// half-applied. A newer schema than this build knows is accepted. The
// caller keeps ownership of db.
func Attach(ctx context.Context, d dialect.Dialect, db *dialect.Database) (*Reader, error) {
	r, err := newReader(d, db)
	if err != nil {
		return nil, err
	}
	migrations, err := schemaMigrations(d)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	var current *semver.Version
	exists, err := d.TableExists(ctx, db.DB, db, LedgerTable)
	if err != nil {
		return nil, fmt.Errorf("control: read control schema ledger of %s: %w", db.Name, err)
	}
	if exists {
		states, err := schemaStates(ctx, db.DB, r.q)
		if err != nil {
			return nil, fmt.Errorf("control: %s: %w", db.Name, err)
		}
		current = schemaVersion(migrations, states)
	}
	if current == nil || current.LessThan(semver.MustParse(AttachVersion)) {
		at := "has no control schema"
		if current != nil {
			at = "is at control schema v" + current.String()
		}
		return nil, fmt.Errorf("control: %s %s and v%s or later is needed: run herd migrate --system on it first: %w",
			db.Name, at, AttachVersion, ErrControlSchemaOutdated)
	}
	return r, nil
}

// AttachDSN opens the control database at dsn, on engine d, and attaches
// to it as Attach does. It creates nothing: a SQLite control file that is
// not there is an error wrapping os.ErrNotExist, not a new empty file.
// closeDB releases the database.
func AttachDSN(ctx context.Context, d dialect.Dialect, dsn string) (reader *Reader, closeDB func() error, err error) {
	if path, ok := config.SQLitePath(dsn); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("control database: %w", err)
		}
	}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: dsn})
	if err != nil {
		return nil, nil, fmt.Errorf("control database: %w", err)
	}
	db, err := srv.Control(ctx)
	if closeErr := srv.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, nil, fmt.Errorf("control database: %w", err)
	}
	reader, err = Attach(ctx, d, db)
	if err != nil {
		return nil, nil, errors.Join(err, db.Close())
	}
	return reader, db.Close, nil
}
