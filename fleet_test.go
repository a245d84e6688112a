package herd_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// bundle is one test's fleet on one engine.
type bundle struct {
	t       *testing.T
	ctx     context.Context
	engine  herdtest.Engine
	scratch *herdtest.Fleet
	fleet   *herd.Fleet
	// opts are the options reopen opens the fleet with.
	opts herd.Options
	// store is the fleet's control database, opened beside it by control.
	store *control.Store
}

// control returns a store on the fleet's control database, to read what
// herd recorded there (see herdtest.Fleet.Control).
func (b *bundle) control() *control.Store {
	b.t.Helper()
	if b.store == nil {
		b.store = b.scratch.Control(b.t)
	}
	return b.store
}

// source loads the fleet's migration source as herd does.
func (b *bundle) source() *source.Source {
	b.t.Helper()
	src, err := herd.LoadSource(b.scratch.Load(b.t), herdtest.Dialects(), b.opts)
	require.NoError(b.t, err)
	return src
}

func schoolMigrations(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	return sub
}

// setup makes a scratch fleet on e with the given migrations and opens it.
// Tenant databases it registers, and the snapshots it keeps, are dropped
// when the test ends.
func setup(t *testing.T, e herdtest.Engine, migrations fs.FS) *bundle {
	t.Helper()
	b := &bundle{t: t, ctx: context.Background(), engine: e, scratch: e.NewFleet(t, migrations)}
	b.reopen()
	t.Cleanup(func() {
		sns, err := b.fleet.Snapshots(context.Background(), "")
		require.NoError(t, err)
		_, err = b.fleet.DropSnapshots(context.Background(), sns, "test cleanup")
		require.NoError(t, err)
		tenants, err := b.fleet.Tenants(context.Background())
		require.NoError(t, err)
		var codes []string
		for _, tn := range tenants {
			codes = append(codes, tn.Code)
		}
		require.NoError(t, b.fleet.Close())
		b.scratch.DropTenants(t, codes)
	})
	return b
}

// reopen opens the fleet again, re-reading herd.yaml and the migrations.
func (b *bundle) reopen() {
	b.t.Helper()
	if b.fleet != nil {
		require.NoError(b.t, b.fleet.Close())
	}
	f, err := herd.Open(b.ctx, b.scratch.Load(b.t), herdtest.Dialects(), b.opts)
	require.NoError(b.t, err)
	b.fleet = f
}

func (b *bundle) addTenant(code string) {
	b.t.Helper()
	_, err := b.fleet.AddTenant(b.ctx, herd.TenantSpec{Code: code})
	require.NoError(b.t, err)
}

// agree checks that the database's ledger, its database_schema_versions row
// and its database_migration_history tell the same story, and that the
// version is want.
func (b *bundle) agree(ref control.Ref, want string) {
	b.t.Helper()
	b.agreeAt(ref, want, control.StatusCompleted)
}

// agreeRolledBack is agree for a tenant a rollout rolled back to want: its
// status shows the failure that caused it.
func (b *bundle) agreeRolledBack(ref control.Ref, want string) {
	b.t.Helper()
	b.agreeAt(ref, want, control.StatusFailed)
	v, _, err := b.control().Version(b.ctx, ref)
	require.NoError(b.t, err)
	require.Contains(b.t, v.Error, "rolled back to v"+want)
}

// agreeAt is agree with the database_schema_versions status expected.
func (b *bundle) agreeAt(ref control.Ref, want string, status control.Status) {
	b.t.Helper()
	entries, err := b.fleet.Ledger(b.ctx, ref)
	require.NoError(b.t, err)
	var ledger []string
	for _, e := range entries {
		require.Equal(b.t, execute.StateApplied, e.State, e.Describe())
		ledger = append(ledger, e.ID)
	}
	kind := ref.Type
	current := plan.Current(b.source().Migrations(kind), execute.Applied(entries))
	require.Equal(b.t, want, control.Version(current), "ledger version")

	v, ok, err := b.control().Version(b.ctx, ref)
	require.NoError(b.t, err)
	require.True(b.t, ok, "no database_schema_versions row for %s", ref)
	require.Equal(b.t, want, v.CurrentVersion, "database_schema_versions.current_version")
	require.Equal(b.t, status, v.Status)

	history, err := b.control().History(b.ctx, ref)
	require.NoError(b.t, err)
	replayed := map[string]bool{}
	for _, h := range history {
		switch h.Status {
		case control.HistorySuccess:
			replayed[h.Migration] = true
		case control.HistoryRolledBack:
			delete(replayed, h.Migration)
		}
	}
	var fromHistory []string
	for id := range replayed {
		fromHistory = append(fromHistory, id)
	}
	sort.Strings(fromHistory)
	sort.Strings(ledger)
	require.Equal(b.t, ledger, fromHistory, "history replayed must equal the ledger")
}

// tenantVersions returns the tenants' rows of database_schema_versions.
func (b *bundle) tenantVersions() []control.VersionState {
	b.t.Helper()
	all, err := b.control().Versions(b.ctx)
	require.NoError(b.t, err)
	var out []control.VersionState
	for _, v := range all {
		if v.Type == source.Tenant {
			out = append(out, v)
		}
	}
	return out
}

// tableExists looks for a table in a tenant's database.
func (b *bundle) tableExists(code, table string) bool {
	b.t.Helper()
	db, d, err := b.fleet.OpenTenant(b.ctx, code)
	require.NoError(b.t, err)
	defer db.Close()
	ok, err := d.TableExists(b.ctx, db.DB, db, table)
	require.NoError(b.t, err)
	return ok
}

func TestUpDownUp(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		b.addTenant("alpha")
		tenant := control.TenantRef("alpha")

		require.NoError(t, b.fleet.Migrate(b.ctx, control.SystemRef, ""))
		b.agree(control.SystemRef, "2.0.0")

		for _, step := range []string{"v2.0.0", "v1.0.0", "2.0.0"} {
			require.NoError(t, b.fleet.Migrate(b.ctx, tenant, step), "to %s", step)
			b.agree(tenant, step[len(step)-5:])
		}
		require.True(t, b.tableExists("alpha", "fee_transactions"))
		require.NoError(t, b.fleet.Migrate(b.ctx, tenant, "1.0.0"))
		require.False(t, b.tableExists("alpha", "fee_transactions"))
		require.True(t, b.tableExists("alpha", "students"))
	})
}

// A fleet-wide migration marks each batch of tenants as running before
// their runs start; a run refused before it plans (an input error) puts
// its tenant's row back as it was, so that the refusal changes nothing.
func TestMigrateAllRefusedChangesNothing(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		codes := []string{"alpha", "beta", "gamma"}
		for _, code := range codes {
			b.addTenant(code)
		}
		require.NoError(t, b.fleet.MigrateAll(b.ctx, "1.0.0", 2))
		script, _ := b.source().Find(source.Tenant, "v1.0.0/001_create_students").Up(e.Name)
		path := filepath.Join(b.scratch.Dir, "migrations", filepath.FromSlash(script.File))
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(body, []byte("\n-- edited after it was applied\n")...), 0o644))
		b.reopen()
		before := b.tenantVersions()

		err = b.fleet.MigrateAll(b.ctx, "1.1.0", 2)
		require.True(t, herd.IsInputError(err), "%v", err)
		for _, code := range codes {
			require.ErrorContains(t, err, code)
		}
		require.Equal(t, before, b.tenantVersions())
		for _, code := range codes {
			b.agree(control.TenantRef(code), "1.0.0")
		}
	})
}

func TestEditedMigrationIsRefused(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, schoolMigrations(t))
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))
		m := b.source().Find(source.Tenant, "v1.0.0/001_create_students")
		oldSum := m.Checksum(e.Name)
		script, _ := m.Up(e.Name)

		path := filepath.Join(b.scratch.Dir, "migrations", filepath.FromSlash(script.File))
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(body, []byte("\n-- edited after it was applied\n")...), 0o644))
		b.reopen()
		newSum := b.source().Find(source.Tenant, "v1.0.0/001_create_students").Checksum(e.Name)

		_, err = b.fleet.Plan(b.ctx, control.TenantRef("alpha"), "1.1.0")
		var refused *plan.RefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, plan.ChecksumMismatch, refused.Reason)
		require.ErrorContains(t, err, "v1.0.0/001_create_students")
		require.ErrorContains(t, err, oldSum)
		require.ErrorContains(t, err, newSum)
		require.True(t, herd.IsInputError(b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.1.0")))
		b.agree(control.TenantRef("alpha"), "1.0.0")
	})
}
