package router_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/router"
	"github.com/herdhq/herd/shadow"

	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// extraConfig declares releases and flags on the School ERP migrations
// (tenant versions 1.0.0, 1.1.0, 2.0.0).
const extraConfig = `releases:
  v1.0.0: {features: [basic_erp]}
  v1.1.0: {features: [custom_fields]}
  v1.1.1: {system: 1.1.0, tenant: 1.1.0}
  v2.0.0: {features: [enhanced_fees], rollback_point: v1.1.1}
flags:
  reports:
    required_version: 1.0.0
  enhanced_fees:
    required_version: 2.0.0
    rollout_percentage: 100
`

// bundle is a scratch fleet with tenants, opened by herd (the writer), and
// what a router needs to open on it.
type bundle struct {
	ctx     context.Context
	engine  herdtest.Engine
	scratch *herdtest.Fleet
	fleet   *herd.Fleet
}

func schoolMigrations(t testing.TB) fs.FS {
	t.Helper()
	sub, err := fs.Sub(schoolerp.Files(), "migrations")
	require.NoError(t, err)
	return sub
}

// setup makes a scratch fleet on e with extraConfig, opened by herd (which
// migrates its control schema), and the tenants alpha (at 1.1.0), beta
// (premium, at 2.0.0) and gamma (never migrated). Tenant databases are
// dropped when the test ends.
func setup(t testing.TB, e herdtest.Engine) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), engine: e, scratch: e.NewFleet(t, schoolMigrations(t))}
	b.scratch.WriteConfig(t, b.scratch.Config(extraConfig))
	b.fleet = b.openFleet(t)
	t.Cleanup(func() {
		tenants, err := b.fleet.Tenants(context.Background())
		require.NoError(t, err)
		var codes []string
		for _, tn := range tenants {
			codes = append(codes, tn.Code)
		}
		b.scratch.DropTenants(t, codes)
	})
	b.add(t, b.fleet, herd.TenantSpec{Code: "alpha", Name: "Alpha Trust"}, "1.1.0")
	b.add(t, b.fleet, herd.TenantSpec{Code: "beta", Tier: "premium"}, "2.0.0")
	b.add(t, b.fleet, herd.TenantSpec{Code: "gamma"}, "")
	return b
}

// openFleet opens another herd Fleet on the scratch fleet: another
// process's view, which the router learns of only through the control
// database.
func (b *bundle) openFleet(t testing.TB) *herd.Fleet {
	t.Helper()
	f, err := herd.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), herd.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func (b *bundle) add(t testing.TB, f *herd.Fleet, spec herd.TenantSpec, version string) {
	t.Helper()
	_, err := f.AddTenant(b.ctx, spec)
	require.NoError(t, err)
	if version != "" {
		require.NoError(t, f.Migrate(b.ctx, control.TenantRef(spec.Code), version))
	}
}

// open opens a router on the scratch fleet with the given refresh period
// (negative: refreshed by the test only).
func (b *bundle) open(t testing.TB, refresh time.Duration, logger *slog.Logger) *router.Router {
	t.Helper()
	if logger == nil {
		logger = herdtest.Logger(t)
	}
	r, err := router.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), router.Options{Refresh: refresh, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// want is the target the router should give for a tenant of b.
func (b *bundle) want(code, name, tier, version string, status control.Status, release string) router.Target {
	t := router.Target{Code: code, Name: name, Tier: tier, Server: "main", Engine: b.engine.Name, DSN: b.scratch.ServerDSN,
		Status: status, Release: release}
	if b.engine.SchemaPerTenant() {
		t.Schema = b.scratch.Prefix + "_" + code
	} else {
		t.Database = b.scratch.Prefix + "_" + code
	}
	if version != "" {
		t.Version = semver.MustParse(version)
	}
	return t
}

// requireTarget checks a resolved target field by field (versions by
// precedence and by their text).
func requireTarget(t *testing.T, want, got router.Target) {
	t.Helper()
	require.Equal(t, want.Version == nil, got.Version == nil, "version of %s: want %v, got %v", want.Code, want.Version, got.Version)
	if want.Version != nil {
		require.Equal(t, want.Version.String(), got.Version.String())
	}
	want.Version, got.Version = nil, nil
	require.Equal(t, want, got)
}

// Resolve gives each tenant's server, database (or schema), version,
// status and release; OpenTenant opens that very database.
func TestResolve(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		r := b.open(t, -1, nil)

		got, err := r.Resolve(b.ctx, "alpha")
		require.NoError(t, err)
		requireTarget(t, b.want("alpha", "Alpha Trust", "standard", "1.1.0", control.StatusCompleted, "v1.1.1"), got)
		got, err = r.Resolve(b.ctx, "beta")
		require.NoError(t, err)
		requireTarget(t, b.want("beta", "beta", "premium", "2.0.0", control.StatusCompleted, "v2.0.0"), got)
		got, err = r.Resolve(b.ctx, "gamma")
		require.NoError(t, err)
		requireTarget(t, b.want("gamma", "gamma", "standard", "", control.StatusPending, ""), got)

		_, err = r.Resolve(b.ctx, "nobody")
		require.ErrorIs(t, err, router.ErrUnknownTenant)
		require.ErrorIs(t, err, flags.ErrTenantNotFound)
		require.EqualError(t, err, `router: tenant "nobody": tenant not found`)

		// The target is the tenant's own database: its ledger says 1.1.0.
		db, err := r.OpenTenant(b.ctx, "alpha")
		require.NoError(t, err)
		defer db.Close()
		var n int
		d := dialectOf(t, e)
		require.NoError(t, db.DB.QueryRowContext(b.ctx, dialect.Bind(d,
			"SELECT COUNT(*) FROM "+dialect.Qualify(d, db, "herd_schema_migrations")+" WHERE version = ?"), "1.1.0").Scan(&n))
		require.Positive(t, n)
		_, err = r.OpenTenant(b.ctx, "nobody")
		require.ErrorIs(t, err, router.ErrUnknownTenant)

		// Flags, in-process, as herd evaluates them.
		for _, code := range []string{"alpha", "beta", "gamma"} {
			for _, flag := range []string{"reports", "enhanced_fees"} {
				want, err := b.fleet.EvaluateFlag(b.ctx, flag, code)
				require.NoError(t, err)
				res, err := r.Evaluate(b.ctx, flag, code)
				require.NoError(t, err)
				require.Equal(t, want, res, "%s for %s", flag, code)
				on, err := r.Enabled(b.ctx, flag, code)
				require.NoError(t, err)
				require.Equal(t, want.Enabled, on)
			}
		}
		on, err := r.Enabled(b.ctx, "enhanced_fees", "beta")
		require.NoError(t, err)
		require.True(t, on)
		_, err = r.Enabled(b.ctx, "no_such_flag", "beta")
		require.ErrorIs(t, err, flags.ErrFlagNotFound)
		_, err = r.Enabled(b.ctx, "reports", "nobody")
		require.ErrorIs(t, err, router.ErrUnknownTenant)
		_, err = r.Evaluate(b.ctx, "reports", "nobody")
		require.ErrorIs(t, err, router.ErrUnknownTenant)
		require.Equal(t, 3, r.Flags().Len())
	})
}

func dialectOf(t *testing.T, e herdtest.Engine) dialect.Dialect {
	t.Helper()
	for _, d := range herdtest.Dialects() {
		if d.Name() == e.Name {
			return d
		}
	}
	t.Fatalf("no dialect %s", e.Name)
	return nil
}

// The router sees what another herd process changes once it refreshes,
// and not before: a migrated tenant, an override, a new tenant, a removed
// one. A refresh with nothing changed keeps the snapshot.
func TestRefreshSeesChanges(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		r := b.open(t, -1, nil)
		other := b.openFleet(t) // another process
		version := func(code string) string {
			t.Helper()
			got, err := r.Resolve(b.ctx, code)
			require.NoError(t, err)
			if got.Version == nil {
				return ""
			}
			return got.Version.String()
		}
		enabled := func(flag, code string) bool {
			t.Helper()
			on, err := r.Enabled(b.ctx, flag, code)
			require.NoError(t, err)
			return on
		}

		// Nothing changed: the same snapshot.
		gen, snap := r.Generation(), r.Flags()
		require.NoError(t, r.Refresh(b.ctx))
		require.Equal(t, gen, r.Generation())
		require.Same(t, snap, r.Flags())

		// A migration.
		require.NoError(t, other.Migrate(b.ctx, control.TenantRef("alpha"), "2.0.0"))
		require.Equal(t, "1.1.0", version("alpha"), "not before the refresh")
		require.False(t, enabled("enhanced_fees", "alpha"))
		require.NoError(t, r.Refresh(b.ctx))
		require.Greater(t, r.Generation(), gen)
		require.Equal(t, "2.0.0", version("alpha"))
		got, err := r.Resolve(b.ctx, "alpha")
		require.NoError(t, err)
		require.Equal(t, "v2.0.0", got.Release)
		require.True(t, enabled("enhanced_fees", "alpha"), "the version gate opened")

		// An override.
		require.False(t, enabled("reports", "alpha"))
		require.NoError(t, other.SetFlagOverride(b.ctx, "reports", "alpha", flags.OverrideOn))
		require.False(t, enabled("reports", "alpha"), "not before the refresh")
		require.NoError(t, r.Refresh(b.ctx))
		require.True(t, enabled("reports", "alpha"))
		res, err := r.Evaluate(b.ctx, "reports", "alpha")
		require.NoError(t, err)
		require.Equal(t, flags.ReasonOverrideOn, res.Reason)

		// A new tenant.
		b.add(t, other, herd.TenantSpec{Code: "delta", Tier: "premium"}, "1.0.0")
		_, err = r.Resolve(b.ctx, "delta")
		require.ErrorIs(t, err, router.ErrUnknownTenant, "not before the refresh")
		require.NoError(t, r.Refresh(b.ctx))
		got, err = r.Resolve(b.ctx, "delta")
		require.NoError(t, err)
		requireTarget(t, b.want("delta", "delta", "premium", "1.0.0", control.StatusCompleted, "v1.0.0"), got)

		// A removed tenant.
		require.NoError(t, other.RemoveTenant(b.ctx, "gamma", true))
		require.NoError(t, r.Refresh(b.ctx))
		_, err = r.Resolve(b.ctx, "gamma")
		require.ErrorIs(t, err, router.ErrUnknownTenant)
	})
}

// The poller refreshes on its own.
func TestPoller(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		r := b.open(t, 10*time.Millisecond, nil)
		require.NoError(t, b.fleet.SetFlagOverride(b.ctx, "reports", "gamma", flags.OverrideOn))
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("gamma"), "1.0.0"))
		require.Eventually(t, func() bool {
			on, err := r.Enabled(b.ctx, "reports", "gamma")
			return err == nil && on
		}, 10*time.Second, 5*time.Millisecond)
		got, err := r.Resolve(b.ctx, "gamma")
		require.NoError(t, err)
		require.Equal(t, "1.0.0", got.Version.String())
	})
}

// While the control database fails, the router serves its last snapshot
// and logs; then it recovers and catches up.
func TestControlDatabaseFails(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		var logged herdtest.Log
		r := b.open(t, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logged, nil)))
		d := dialectOf(t, e)
		srv, err := d.OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: b.scratch.ControlDSN})
		require.NoError(t, err)
		defer srv.Close()
		db, err := srv.Control(b.ctx)
		require.NoError(t, err)
		defer db.Close()

		// Break the change counter: every refresh fails.
		_, err = db.DB.ExecContext(b.ctx, "ALTER TABLE herd_control_changes RENAME TO herd_control_changes_gone")
		require.NoError(t, err)
		require.Error(t, r.Refresh(b.ctx))
		require.Eventually(t, func() bool { return strings.Contains(logged.String(), "router: refresh failed") }, 10*time.Second, 5*time.Millisecond)
		got, err := r.Resolve(b.ctx, "alpha")
		require.NoError(t, err, "the last snapshot serves")
		require.Equal(t, "1.1.0", got.Version.String())
		on, err := r.Enabled(b.ctx, "enhanced_fees", "beta")
		require.NoError(t, err)
		require.True(t, on)
		stale := r.LastRefresh()

		// Mend it, with a change made meanwhile: the router catches up.
		_, err = db.DB.ExecContext(b.ctx, "ALTER TABLE herd_control_changes_gone RENAME TO herd_control_changes")
		require.NoError(t, err)
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "2.0.0"))
		require.Eventually(t, func() bool {
			got, err := r.Resolve(b.ctx, "alpha")
			return err == nil && got.Version.String() == "2.0.0"
		}, 10*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool { return strings.Contains(logged.String(), "router: refresh recovered") }, 10*time.Second, 5*time.Millisecond)
		require.True(t, r.LastRefresh().After(stale))
	})
}

// A router never migrates herd's control schema: it refuses a control
// database herd has not brought to control.AttachVersion.
func TestOpenRefusesUnmigratedControl(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		scratch := e.NewFleet(t, schoolMigrations(t)) // a control database nobody migrated
		if path, ok := config.SQLitePath(scratch.ControlDSN); ok {
			// On SQLite: an empty file, as a database nobody migrated is.
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, nil, 0o644))
		}
		_, err := router.Open(context.Background(), scratch.Load(t), herdtest.Dialects(), router.Options{})
		require.ErrorIs(t, err, control.ErrControlSchemaOutdated)
		require.ErrorContains(t, err, "run herd migrate --system")

		d := dialectOf(t, e)
		srv, err := d.OpenServer(context.Background(), dialect.ServerConfig{Name: "control", DSN: scratch.ControlDSN})
		require.NoError(t, err)
		defer srv.Close()
		db, err := srv.Control(context.Background())
		require.NoError(t, err)
		defer db.Close()
		for _, table := range []string{control.LedgerTable, "herd_tenants", "herd_control_changes"} {
			ok, err := d.TableExists(context.Background(), db.DB, db, table)
			require.NoError(t, err)
			require.False(t, ok, "the router created %s", table)
		}
	})
}

func TestOpenNeedsDialects(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0])
	_, err := router.Open(b.ctx, b.scratch.Load(t), nil, router.Options{})
	require.ErrorContains(t, err, "no dialects")
}

// A SQLite control file that is not there is an error, and stays absent.
func TestOpenMissingSQLiteControl(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0])
	cfg := b.scratch.Load(t)
	missing := filepath.Join(t.TempDir(), "nowhere", "control.db")
	cfg.Control = "sqlite:" + missing
	_, err := router.Open(b.ctx, cfg, herdtest.Dialects(), router.Options{})
	require.ErrorIs(t, err, os.ErrNotExist)
	_, statErr := os.Stat(missing)
	require.ErrorIs(t, statErr, os.ErrNotExist)
}

// A Target may be printed and logged: the DSN's password never shows.
func TestTargetRedactsPassword(t *testing.T) {
	t.Parallel()
	const secret, secret2 = "s3cr3t-Pa55", "k3y-pa55"
	target := router.Target{Code: "oakfield", Name: "Oakfield", Tier: "premium", Server: "eu1", Engine: "postgres",
		DSN:      "postgres://app:" + secret + "@db.internal:5432/erp?sslmode=require&sslpassword=" + secret2,
		Database: "erp_oakfield", Version: semver.MustParse("1.1.0"), Status: control.StatusCompleted, Release: "v1.1.0"}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("resolved", "target", target)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("resolved", "target", target)
	marshalled, err := json.Marshal(target)
	require.NoError(t, err)
	shown := map[string]string{
		"String": target.String(), "%v": fmt.Sprintf("%v", target), "%+v": fmt.Sprintf("%+v", target),
		"%s": fmt.Sprintf("%s", target), "%#v": fmt.Sprintf("%#v", target), "%v of a pointer": fmt.Sprintf("%v", &target),
		"slog text": text.String(), "slog JSON": js.String(), "JSON": string(marshalled),
	}
	for how, out := range shown {
		require.NotContains(t, out, secret, how)
		require.NotContains(t, out, secret2, how)
		require.Contains(t, out, "xxxxx", how)
		require.Contains(t, out, "db.internal", how)
	}
	require.Equal(t, `tenant "oakfield" on server eu1 (postgres postgres://app:xxxxx@db.internal:5432/erp?sslmode=require&sslpassword=xxxxx, database erp_oakfield) at v1.1.0 (completed)`,
		target.String())
	require.Contains(t, text.String(), "target.dsn=")
	require.Contains(t, text.String(), "target.version=1.1.0")
	require.Contains(t, target.DSN, secret, "the field itself keeps the password, for connecting")
}

// Errors of Open never show a DSN's password either.
func TestOpenErrorRedactsPassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55"
	b := setup(t, herdtest.Engines()[0])
	cfg := b.scratch.Load(t)
	cfg.Control = "postgres://app:" + secret + "@127.0.0.1:1/erp?connect_timeout=2"
	_, err := router.Open(b.ctx, cfg, herdtest.Dialects(), router.Options{})
	require.Error(t, err)
	require.NotContains(t, err.Error(), secret)
	cfg.Control = "oracle://app:" + secret + "@db/erp"
	_, err = router.Open(b.ctx, cfg, herdtest.Dialects(), router.Options{})
	require.ErrorContains(t, err, "no engine wired")
	require.NotContains(t, err.Error(), secret)
}

// The application's path allocates nothing: resolving a tenant and
// evaluating a flag for it.
func TestCallsDoNotAllocate(t *testing.T) {
	b := setup(t, herdtest.Engines()[0])
	r := b.open(t, -1, nil)
	for _, code := range []string{"alpha", "beta", "gamma"} {
		allocs := testing.AllocsPerRun(100, func() {
			r.Resolve(b.ctx, code)                   //nolint:errcheck // known tenant
			r.Enabled(b.ctx, "enhanced_fees", code)  //nolint:errcheck // known names
			r.Evaluate(b.ctx, "enhanced_fees", code) //nolint:errcheck // known names
			r.Generation()
		})
		require.Zero(t, allocs, "tenant %s", code)
	}
}

// Close stops the poller and may be called twice.
func TestClose(t *testing.T) {
	t.Parallel()
	b := setup(t, herdtest.Engines()[0])
	r, err := router.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), router.Options{Refresh: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close())
}

// A tenant whose writes a shadow migration freezes is read-only until the
// freeze ends, or until its time passes (a freeze a killed herd left
// lapses without a refresh).
func TestResolveReadOnlyDuringAFreeze(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e)
		now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
		var clock atomic.Pointer[time.Time]
		clock.Store(&now)
		r, err := router.Open(b.ctx, b.scratch.Load(t), herdtest.Dialects(), router.Options{Refresh: -1, Logger: herdtest.Logger(t),
			Now: func() time.Time { return *clock.Load() }})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, r.Close()) })
		readOnly := func(code string) bool {
			t.Helper()
			got, err := r.Resolve(b.ctx, code)
			require.NoError(t, err)
			return got.ReadOnly
		}
		store := b.controlStore(t)
		require.NoError(t, store.FreezeWrites(b.ctx, "alpha", now.Add(time.Minute)))
		require.False(t, readOnly("alpha"), "not before the refresh")
		require.NoError(t, r.Refresh(b.ctx))
		require.True(t, readOnly("alpha"))
		require.False(t, readOnly("beta"))
		got, err := r.Resolve(b.ctx, "alpha")
		require.NoError(t, err)
		require.Contains(t, got.String(), "read-only")
		// Where the switch moves the registry, the database the tenant
		// moves to is named, to be warmed; a renaming switch keeps it.
		name := got.Database + got.Schema
		if e.SchemaPerTenant() {
			require.Empty(t, got.MovingTo, "the schema keeps its name")
		} else {
			require.Equal(t, name+shadow.Suffix, got.MovingTo)
			_, err := r.OpenMovingTo(b.ctx, "alpha")
			require.ErrorContains(t, err, name+shadow.Suffix, "no shadow was made")
		}
		_, err = r.OpenMovingTo(b.ctx, "beta")
		require.ErrorContains(t, err, "not moving")

		later := now.Add(2 * time.Minute)
		clock.Store(&later)
		require.False(t, readOnly("alpha"), "the freeze lapsed")
		got, err = r.Resolve(b.ctx, "alpha")
		require.NoError(t, err)
		require.Empty(t, got.MovingTo, "not moving once the freeze lapsed")
		clock.Store(&now)
		require.NoError(t, store.ThawWrites(b.ctx, "alpha"))
		require.NoError(t, r.Refresh(b.ctx))
		require.False(t, readOnly("alpha"), "the freeze ended")
	})
}

// controlStore opens the scratch fleet's control database as herd does.
func (b *bundle) controlStore(t *testing.T) *control.Store {
	t.Helper()
	d := dialectOf(t, b.engine)
	srv, err := d.OpenServer(b.ctx, dialect.ServerConfig{Name: "control", DSN: b.scratch.ControlDSN})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	db, err := srv.Control(b.ctx)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	store, err := control.Open(b.ctx, d, db, nil)
	require.NoError(t, err)
	return store
}
