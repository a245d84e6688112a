package control_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// changesBundle is a scratch control database, not yet migrated, on one
// engine.
type changesBundle struct {
	ctx context.Context
	d   dialect.Dialect
	db  *dialect.Database
}

// forEachControlEngine runs fn on a fresh control database on every engine
// (once per engine: tenancy does not change the control database). The
// contract of the package is package controltest's suite; these are the
// tests of its internals.
func forEachControlEngine(t *testing.T, fn func(t *testing.T, b *changesBundle)) {
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			fn(t, controlSetup(t, e))
		})
	}
}

func controlSetup(t *testing.T, e herdtest.Engine) *changesBundle {
	t.Helper()
	scratch := e.NewFleet(t, fstest.MapFS{})
	b := &changesBundle{ctx: context.Background(), d: dialectOf(e)}
	srv, err := b.d.OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: scratch.ControlDSN})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	b.db, err = srv.Control(b.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { b.db.Close() })
	return b
}

// dialectOf returns the dialect of engine e.
func dialectOf(e herdtest.Engine) dialect.Dialect {
	return dialect.Named(herdtest.Dialects(), e.Name)
}

// migrateControlTo applies herd's control schema up to version to, as an
// older herd would have left it.
func (b *changesBundle) migrateControlTo(t *testing.T, to string) {
	t.Helper()
	src, err := source.Load(b.d.ControlSchema(), []source.Engine{b.d}, &source.Options{Root: "control-schema"})
	require.NoError(t, err)
	session, err := execute.New(b.d, &execute.Options{LedgerTable: control.LedgerTable}).Lock(b.ctx, b.db)
	require.NoError(t, err)
	defer session.Close(b.ctx)
	entries, err := session.Ledger(b.ctx)
	require.NoError(t, err)
	p, err := plan.Make(src, source.System, execute.Applied(entries), semver.MustParse(to), plan.Options{Engine: b.d.Name()})
	require.NoError(t, err)
	require.NoError(t, session.Apply(b.ctx, p, discard{}))
}

type discard struct{}

func (discard) Record(context.Context, execute.Result) error { return nil }

// A control database that an earlier herd migrated with its executor
// opens, and Open goes on from where the executor left it; the executor
// then finds the control schema that Open wrote up to date.
func TestLedgerWrittenByTheExecutor(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		b.migrateControlTo(t, "1.3.0")
		store, err := control.Open(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		_, err = store.FleetID(b.ctx)
		require.NoError(t, err, "v1.5.0 applied on top")

		src, err := source.Load(b.d.ControlSchema(), []source.Engine{b.d}, &source.Options{Root: "control-schema"})
		require.NoError(t, err)
		entries, err := execute.ReadLedger(b.ctx, b.d, b.db, control.LedgerTable)
		require.NoError(t, err)
		versions := src.Versions(source.System)
		latest := versions[len(versions)-1]
		require.Equal(t, latest, plan.Current(src.Migrations(source.System), execute.Applied(entries)))
		p, err := plan.Make(src, source.System, execute.Applied(entries), latest, plan.Options{Engine: b.d.Name()})
		require.NoError(t, err, "the checksums Open recorded are the executor's")
		require.Empty(t, p.Steps)
		b.migrateControlTo(t, latest.String())
	})
}
