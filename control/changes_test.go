package control_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/flags"
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
// (once per engine: tenancy does not change the control database).
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
	b := &changesBundle{ctx: context.Background()}
	for _, d := range herdtest.Dialects() {
		if d.Name() == e.Name {
			b.d = d
		}
	}
	srv, err := b.d.OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: scratch.ControlDSN})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	b.db, err = srv.Control(b.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { b.db.Close() })
	return b
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

// Every write a cache depends on moves the generation, in its own
// transaction; reads do not, and neither does a write that fails.
func TestGeneration(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		store, err := control.Open(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		last, err := store.Generation(b.ctx)
		require.NoError(t, err)
		moved := func(what string) {
			t.Helper()
			g, err := store.Generation(b.ctx)
			require.NoError(t, err)
			require.Greater(t, g, last, "%s moves the generation", what)
			last = g
		}
		still := func(what string) {
			t.Helper()
			g, err := store.Generation(b.ctx)
			require.NoError(t, err)
			require.Equal(t, last, g, "%s leaves the generation", what)
		}
		ref := control.TenantRef("alpha")

		require.NoError(t, store.AddTenant(b.ctx, control.Tenant{Code: "alpha", Name: "Alpha", Tier: "standard", Server: "main",
			Database: "t_alpha", CreatedAt: time.Now()}))
		moved("AddTenant")
		require.NoError(t, store.UpdateTenant(b.ctx, control.Tenant{Code: "alpha", Name: "Alpha", Tier: "premium"}))
		moved("UpdateTenant")
		require.Error(t, store.AddTenant(b.ctx, control.Tenant{Code: "alpha", Server: "main", Database: "t_alpha2", CreatedAt: time.Now()}))
		still("a failed AddTenant")
		require.NoError(t, store.MarkTargets(b.ctx, []string{"alpha"}, "1.0.0"))
		moved("MarkTargets")
		require.NoError(t, store.Begin(b.ctx, ref, "", "1.0.0"))
		moved("Begin")
		require.NoError(t, store.End(b.ctx, ref, "1.0.0", nil))
		moved("End")
		require.NoError(t, store.Finish(b.ctx, ref, "1.0.0", errors.New("boom"), nil, "test", "failed"))
		moved("Finish")
		require.NoError(t, store.Sync(b.ctx, ref, "1.0.0"))
		moved("Sync")
		require.NoError(t, store.SetOverride(b.ctx, "reports", "alpha", flags.OverrideOn, "test"))
		moved("SetOverride")
		require.ErrorIs(t, store.SetOverride(b.ctx, "reports", "nobody", flags.OverrideOn, "test"), control.ErrTenantNotFound)
		still("a failed SetOverride")

		_, err = store.Tenants(b.ctx)
		require.NoError(t, err)
		_, err = store.Versions(b.ctx)
		require.NoError(t, err)
		_, err = store.Overrides(b.ctx)
		require.NoError(t, err)
		require.NoError(t, store.Audit(b.ctx, "test", "note", "alpha", "audit entries are not cached"))
		still("reads and audit entries")

		require.NoError(t, store.RemoveTenant(b.ctx, "alpha"))
		moved("RemoveTenant")
		require.ErrorIs(t, store.RemoveTenant(b.ctx, "alpha"), control.ErrTenantNotFound)
		still("a failed RemoveTenant")
	})
}

// Attach reads a control database without migrating it, and refuses one
// whose control schema is older than the change counter.
func TestAttach(t *testing.T) {
	t.Parallel()
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		_, err := control.Attach(b.ctx, b.d, b.db, nil)
		require.ErrorIs(t, err, control.ErrControlSchemaOutdated)
		require.ErrorContains(t, err, "has no control schema")
		require.ErrorContains(t, err, "herd migrate --system")
		ok, err := b.d.TableExists(b.ctx, b.db.DB, b.db, "herd_tenants")
		require.NoError(t, err)
		require.False(t, ok, "Attach creates nothing")

		b.migrateControlTo(t, "1.3.0")
		_, err = control.Attach(b.ctx, b.d, b.db, nil)
		require.ErrorIs(t, err, control.ErrControlSchemaOutdated)
		require.ErrorContains(t, err, "is at control schema v1.3.0 and v1.4.0 or later is needed")
		ok, err = b.d.TableExists(b.ctx, b.db.DB, b.db, "herd_control_changes")
		require.NoError(t, err)
		require.False(t, ok, "Attach migrates nothing")

		writer, err := control.Open(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		reader, err := control.Attach(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		g, err := reader.Generation(b.ctx)
		require.NoError(t, err)
		require.NoError(t, writer.AddTenant(b.ctx, control.Tenant{Code: "alpha", Server: "main", Database: "t_alpha", CreatedAt: time.Now()}))
		tenants, err := reader.Tenants(b.ctx)
		require.NoError(t, err)
		require.Len(t, tenants, 1)
		g2, err := reader.Generation(b.ctx)
		require.NoError(t, err)
		require.Greater(t, g2, g)
	})
}
