package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/schedule"
)

// fleet plays the roles a Manager relies on (rollout.Deps) without
// databases of tenants: its migrations take a moment and are counted, so a
// test sees what ran, in which order and how many at once. The rollout's
// own state lives in a real control database.
type fleet struct {
	mu        sync.Mutex
	servers   map[string]string // tenant -> server
	running   map[string]int    // per server
	maxServer int
	migrated  []string // in the order they started
	fail      map[string]bool
	// during, if set, runs inside a tenant's migration.
	during func(ctx context.Context, code string)
	// restore, if set, runs inside a tenant's rollback.
	restore func(code string)
	// large are the tenants counted in maxLarge, the most of them that
	// migrated at once.
	large                  map[string]bool
	runningLarge, maxLarge int
	// shadowed are the tenants migrated by MigrateShadow.
	shadowed []string
	// begun are the rows MigrateBegun was given, by tenant, entries the
	// registry entries, and releases the leases to end.
	begun    map[string]*control.VersionState
	entries  map[string]control.Tenant
	releases map[string]*control.LeaseEnd
	// store records a run that succeeds, with the release it was given,
	// as herd.Fleet's runs do.
	store *control.Store
	// noSnapshot are the tenants whose snapshot fails.
	noSnapshot map[string]bool
}

func (f *fleet) Migrate(ctx context.Context, ref control.Ref, _ string) error {
	code := ref.Identifier
	f.mu.Lock()
	server := f.servers[code]
	f.running[server]++
	f.maxServer = max(f.maxServer, f.running[server])
	if f.large[code] {
		f.runningLarge++
		f.maxLarge = max(f.maxLarge, f.runningLarge)
	}
	f.migrated = append(f.migrated, code)
	during := f.during
	f.mu.Unlock()
	if during != nil {
		during(ctx, code)
	}
	time.Sleep(10 * time.Millisecond)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[server]--
	if f.large[code] {
		f.runningLarge--
	}
	if f.fail[code] {
		return errors.New("boom")
	}
	return nil
}

func (f *fleet) MigrateBegun(ctx context.Context, t control.Tenant, to string, before *control.VersionState, release *control.LeaseEnd) error {
	code := t.Code
	f.mu.Lock()
	if f.begun == nil {
		f.begun, f.entries, f.releases = map[string]*control.VersionState{}, map[string]control.Tenant{}, map[string]*control.LeaseEnd{}
	}
	f.begun[code], f.entries[code], f.releases[code] = before, t, release
	f.mu.Unlock()
	if err := f.Migrate(ctx, control.TenantRef(code), to); err != nil {
		return err
	}
	return f.store.Finish(ctx, control.TenantRef(code), control.Outcome{Current: strings.TrimPrefix(to, "v"), Actor: "test", Release: release})
}

func (f *fleet) MigrateShadow(ctx context.Context, code, to string) error {
	f.mu.Lock()
	f.shadowed = append(f.shadowed, code)
	f.mu.Unlock()
	return f.Migrate(ctx, control.TenantRef(code), to)
}

func (f *fleet) Restore(_ context.Context, code, _ string) (string, error) {
	if f.restore != nil {
		f.restore(code)
	}
	return "down migrations", nil
}

func (f *fleet) TakeSnapshot(_ context.Context, code string, _ int64) (control.Snapshot, error) {
	if f.noSnapshot[code] {
		return control.Snapshot{}, errors.New("no room for the copy")
	}
	return control.Snapshot{}, nil
}

func (f *fleet) IrreversibleStep(context.Context, string, string) (string, error) { return "", nil }

func (f *fleet) PruneSnapshots(context.Context, config.Retention) (int, error) { return 0, nil }

func (f *fleet) ReleaseVersions(string) (string, string, error) { return "", "1.1.0", nil }

func (f *fleet) CheckRelease(context.Context, string) error { return nil }

func (f *fleet) Matrix() *release.Matrix { return release.New(nil, nil) }

func (f *fleet) OpenTenant(context.Context, string) (*dialect.Database, dialect.Dialect, error) {
	return nil, nil, errors.New("no tenant databases here")
}

// started returns the tenants migrated so far, in order.
func (f *fleet) started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.migrated)
}

// events records what a Manager emits.
type events struct {
	mu   sync.Mutex
	list []event.Event
}

func (e *events) Send(ev event.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

func (e *events) of(t event.Type) []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []event.Event
	for _, ev := range e.list {
		if ev.Type == t {
			out = append(out, ev)
		}
	}
	return out
}

// bundle is a Manager on a fresh control database of one engine.
type bundle struct {
	ctx   context.Context
	store *control.Store
	// db is the control database, for a test that writes to it behind
	// the store's back.
	db     *dialect.Database
	fleet  *fleet
	events *events
	m      *rollout.Manager
}

// forEachEngine runs fn as a parallel subtest on every engine's control
// database (tenancy does not change the control database).
func forEachEngine(t *testing.T, fn func(t *testing.T, e herdtest.Engine)) {
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// setup registers tenants (code -> server, servers a and b) in a fresh
// control database on e and returns a Manager with the rollout section
// of herd.yaml given.
func setup(t *testing.T, e herdtest.Engine, section string, tenants [][2]string) *bundle {
	t.Helper()
	ctx := context.Background()
	scratch := e.NewFleet(t, fstest.MapFS{})
	var d dialect.Dialect
	for _, c := range herdtest.Dialects() {
		if c.Name() == e.Name {
			d = c
		}
	}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: scratch.ControlDSN})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	db, err := srv.Control(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	store, err := control.Open(ctx, d, db, nil)
	require.NoError(t, err)

	cfg, err := config.Parse([]byte(fmt.Sprintf(`control: %q
servers:
  a: %q
  b: %q
default_server: a
tenant_database: t_{code}
migrations: ./migrations
%s`, scratch.ControlDSN, scratch.ServerDSN, scratch.ServerDSN, section)), "herd.yaml")
	require.NoError(t, err)

	f := &fleet{servers: map[string]string{}, running: map[string]int{}, fail: map[string]bool{}, store: store}
	for _, tn := range tenants {
		require.NoError(t, store.AddTenant(ctx, control.Tenant{Code: tn[0], Server: tn[1], Database: "t_" + tn[0], Tier: "standard"}))
		f.servers[tn[0]] = tn[1]
	}
	ev := &events{}
	m := rollout.New(cfg, store, rollout.Deps{Migrator: f, Snapshots: f, Releases: f, TenantOpener: f},
		rollout.Options{Owner: "runner", Events: ev, Poll: 10 * time.Millisecond, Logger: herdtest.Logger(t)})
	return &bundle{ctx: ctx, store: store, db: db, fleet: f, events: ev, m: m}
}

// start starts a rollout to v1.1.0 of every tenant.
func (b *bundle) start(t *testing.T) control.Rollout {
	t.Helper()
	r, _, err := b.m.Start(b.ctx, rollout.StartRequest{Release: "v1.1.0"})
	require.NoError(t, err)
	return r
}

// states returns each tenant's item state.
func (b *bundle) states(t *testing.T, id int64) map[string]control.ItemState {
	t.Helper()
	items, err := b.store.Items(b.ctx, id)
	require.NoError(t, err)
	out := map[string]control.ItemState{}
	for _, it := range items {
		out[it.Tenant] = it.State
	}
	return out
}

var sixOnTwoServers = [][2]string{{"c1", "a"}, {"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"b2", "b"}, {"b3", "b"}}

// Waves run in order, each tenant once, and no server has more tenants in
// flight than rollout.per_server; each wave is announced once.
func TestWorkHonoursWavesAndPerServerCaps(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, `rollout:
  concurrency: 4
  per_server: 1
  batch_size: 6
  snapshots: never
  waves:
    - name: canary
      tenants: [c1]
    - name: rest
`, sixOnTwoServers)
		r := b.start(t)
		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
		require.Zero(t, out.Failed)

		started := b.fleet.started()
		require.Len(t, started, 6)
		require.Equal(t, "c1", started[0], "the canary wave runs first")
		require.ElementsMatch(t, []string{"c1", "a1", "a2", "b1", "b2", "b3"}, started, "each tenant once")
		require.Equal(t, 1, b.fleet.maxServer, "at most per_server tenants of a server at once")
		for _, s := range b.states(t, r.ID) {
			require.Equal(t, control.ItemDone, s)
		}
		waves := b.events.of(event.WaveStarted)
		require.Len(t, waves, 2)
		require.Equal(t, []string{"canary", "rest"}, []string{waves[0].Wave, waves[1].Wave})
		require.Len(t, b.events.of(event.TenantDone), 6)
		require.Len(t, b.events.of(event.RolloutCompleted), 1)
	})
}

// A runner's claim marks the tenant's run as begun in the claim's own
// commit and hands the run the row as it was and the registry entry as
// the claim read it; a tenant whose snapshot fails is never migrated, and
// its row is put back as it was.
func TestClaimBeginsTheRun(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 1\n  failure_budget: 1\n  snapshots: always\n", [][2]string{{"kept", "a"}, {"full", "a"}})
		b.fleet.noSnapshot = map[string]bool{"full": true}
		during := map[string]control.VersionState{}
		b.fleet.during = func(ctx context.Context, code string) {
			v, ok, err := b.store.Version(ctx, control.TenantRef(code))
			assert.NoError(t, err)
			assert.True(t, ok)
			during[code] = v
		}
		r := b.start(t)
		// An entry changed since the rollout started reaches the run as
		// the claim read it.
		entry, err := b.store.Tenant(b.ctx, "kept")
		require.NoError(t, err)
		entry.Features = []string{"transport"}
		require.NoError(t, b.store.UpdateTenant(b.ctx, entry))
		rows := map[string]control.VersionState{}
		for _, code := range []string{"kept", "full"} {
			v, ok, err := b.store.Version(b.ctx, control.TenantRef(code))
			require.NoError(t, err)
			require.True(t, ok)
			rows[code] = v
		}
		_, err = b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)

		require.Equal(t, []string{"kept"}, b.fleet.started(), "the tenant without a snapshot is not migrated")
		assert.Equal(t, entry.Features, b.fleet.entries["kept"].Features, "the run is handed the registry entry as the claim read it")
		require.NotNil(t, b.fleet.begun["kept"], "the run is handed the row as the claim found it")
		assert.Equal(t, rows["kept"].Status, b.fleet.begun["kept"].Status)
		assert.Equal(t, control.StatusRunning, during["kept"].Status, "the claim marked the run as begun")
		assert.Equal(t, "1.1.0", during["kept"].TargetVersion)

		after, ok, err := b.store.Version(b.ctx, control.TenantRef("full"))
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, rows["full"].Status, after.Status, "the row of a tenant not migrated is put back")
		assert.Equal(t, rows["full"].TargetVersion, after.TargetVersion)
		assert.Equal(t, control.ItemFailed, b.states(t, r.ID)["full"])
	})
}

// A tenant with nothing to probe after its run is released by the run's
// own commit, and its runner writes no release of its own (one would find
// the lease ended and report the tenant lost); a tenant with probes to
// bake is released by its runner once they pass.
func TestRunReleasesInItsCommit(t *testing.T) {
	t.Parallel()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(healthy.Close)
	tests := []struct {
		name, probes string
		inCommit     bool
	}{
		{"no probes", "", true},
		{"probes", fmt.Sprintf("health_probes:\n  http: %s/{code}\n", healthy.URL), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
				b := setup(t, e, "rollout:\n  concurrency: 2\n  snapshots: never\n"+tt.probes, sixOnTwoServers)
				r := b.start(t)
				_, err := b.m.Work(b.ctx, r.ID)
				require.NoError(t, err)

				assert.Len(t, b.events.of(event.TenantDone), len(sixOnTwoServers), "every tenant is reported done")
				states := b.states(t, r.ID)
				for _, tn := range sixOnTwoServers {
					code := tn[0]
					assert.Equal(t, control.ItemDone, states[code], code)
					release := b.fleet.releases[code]
					if !tt.inCommit {
						assert.Nil(t, release, "%s is probed before it is released", code)
						continue
					}
					if assert.NotNil(t, release, code) {
						assert.True(t, release.Committed && release.Held, "%s was released by its run's commit", code)
					}
				}
			})
		})
	}
}

// A run whose lease another runner took over meanwhile ends nothing in
// its commit: its runner reports nothing, and the tenant is finished by
// whoever holds it (here, the same runner claiming it again).
func TestRunWithALostLeaseReleasesNothing(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 1\n  snapshots: never\n", [][2]string{{"taken", "a"}})
		var once sync.Once
		b.fleet.during = func(ctx context.Context, code string) {
			once.Do(func() {
				// Another runner's claim, with its lease already expired.
				_, err := b.db.DB.ExecContext(ctx, "UPDATE herd_rollout_tenants SET lease_owner = 'thief', lease_token = lease_token + 1, lease_expires_ms = 0 WHERE tenant = 'taken'")
				assert.NoError(t, err)
			})
		}
		r := b.start(t)
		_, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)

		require.Equal(t, []string{"taken", "taken"}, b.fleet.started(), "taken over, and migrated again")
		assert.Len(t, b.events.of(event.TenantDone), 1, "the run that lost its lease reports nothing")
		items, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, control.ItemDone, items[0].State)
		assert.Equal(t, 2, items[0].Attempts)
	})
}

// The registry entry a run is handed is read at the tenant's claim: a
// change made while an earlier tenant migrates reaches the next one.
func TestClaimReadsTheEntry(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 1\n  snapshots: never\n", [][2]string{{"first", "a"}, {"second", "a"}})
		b.fleet.during = func(ctx context.Context, code string) {
			if code != "first" {
				return
			}
			entry, err := b.store.Tenant(ctx, "second")
			assert.NoError(t, err)
			entry.Features = []string{"transport"}
			assert.NoError(t, b.store.UpdateTenant(ctx, entry))
		}
		r := b.start(t)
		_, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)

		require.Equal(t, []string{"first", "second"}, b.fleet.started())
		assert.Equal(t, []string{"transport"}, b.fleet.entries["second"].Features)
	})
}

// A tenant removed from the registry after its rollout started is failed
// at its claim, with nothing migrated or rolled back, and the others go on.
func TestRemovedTenantFails(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 1\n  failure_budget: 1\n  snapshots: never\n", [][2]string{{"gone", "a"}, {"kept", "a"}})
		var restored []string
		b.fleet.restore = func(code string) { restored = append(restored, code) }
		for _, code := range []string{"gone", "kept"} {
			// At a version, so that a tenant that ran would be rolled back.
			require.NoError(t, b.store.Sync(b.ctx, control.TenantRef(code), "1.0.0"))
		}
		r := b.start(t)
		require.NoError(t, b.store.RemoveTenant(b.ctx, "gone"))
		_, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)

		assert.Equal(t, []string{"kept"}, b.fleet.started())
		assert.Empty(t, restored, "nothing ran, so nothing is rolled back")
		items, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		for _, it := range items {
			if it.Tenant == "gone" {
				assert.Equal(t, control.ItemFailed, it.State)
				assert.Contains(t, it.Error, "not found")
			}
		}
	})
}

// large_tenants.concurrency caps the large tenants a runner migrates at
// once, by their recorded sizes, while the small ones run beside them.
func TestWorkCapsLargeTenants(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "large_tenants: {rows: 1000, concurrency: 1}\nrollout:\n  concurrency: 3\n  snapshots: never\n", sixOnTwoServers)
		b.fleet.large = map[string]bool{}
		for i, code := range []string{"c1", "a1", "a2", "b1", "b2", "b3"} {
			rows := int64(10)
			if i < 3 {
				rows, b.fleet.large[code] = 5000, true
			}
			require.NoError(t, b.store.SetSize(b.ctx, control.Size{Tenant: code, Rows: rows, AnalyzedAt: time.Now()}))
		}
		r := b.start(t)
		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
		require.Len(t, b.fleet.started(), 6)
		require.Equal(t, 1, b.fleet.maxLarge, "one large tenant at a time")
	})
}

// A wave's strategy decides how its tenants are migrated; in a wave
// without one, large_tenants' strategy takes the large tenants.
func TestWorkMigratesByStrategy(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "large_tenants: {rows: 1000, strategy: shadow}\nrollout:\n  snapshots: never\n  waves:\n"+
			"    - {name: canary, tenants: [c1, a1], strategy: in-place}\n"+
			"    - {name: chosen, tenants: [a2], strategy: shadow}\n"+
			"    - {name: rest}\n", sixOnTwoServers)
		for _, code := range []string{"c1", "b1", "b2"} {
			require.NoError(t, b.store.SetSize(b.ctx, control.Size{Tenant: code, Rows: 5000, AnalyzedAt: time.Now()}))
		}
		r := b.start(t)
		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
		require.Len(t, b.fleet.started(), 6)
		require.ElementsMatch(t, []string{"a2", "b1", "b2"}, b.fleet.shadowed,
			"a2 by its wave; b1 and b2, large, by large_tenants; c1, large, in place by its wave's")
	})
}

// Without a pause between batches, workers go on to the next batch as
// they free up, but a tenant whose migration fails stops new starts at
// once: none starts while it is rolled back, and the rollout halts over a
// budget of 0 with only the tenants already in flight finished.
func TestWorkStopsStartingOnceATenantFails(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		var tenants [][2]string
		for i := range 12 {
			tenants = append(tenants, [2]string{fmt.Sprintf("t%02d", i), "a"})
		}
		b := setup(t, e, "rollout:\n  concurrency: 3\n  batch_size: 3\n  failure_budget: 0\n  snapshots: never\n", tenants)
		for _, tn := range tenants {
			require.NoError(t, b.store.Sync(b.ctx, control.TenantRef(tn[0]), "1.0.0"))
		}
		b.fleet.fail["t04"] = true
		// Started while t04 was rolled back, once the tenants claimed
		// before its failure was known had time to start, however slow the
		// control database (a migration here takes 10ms, so the others
		// would run through the whole wave in the window).
		var during []string
		b.fleet.restore = func(string) {
			time.Sleep(time.Second)
			before := len(b.fleet.started())
			time.Sleep(500 * time.Millisecond)
			during = b.fleet.started()[before:]
		}
		r := b.start(t)
		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutHalted, out.Rollout.Status)
		require.Empty(t, during, "no tenant starts while a failed one is rolled back")
		require.Less(t, len(b.fleet.started()), len(tenants), "the halt left tenants unstarted")
		require.Equal(t, control.ItemRolledBack, b.states(t, r.ID)["t04"])
	})
}

// A wave over its failure budget halts the rollout: the next wave does not
// start.
func TestWorkHaltsOverBudget(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, `rollout:
  concurrency: 1
  snapshots: never
  waves:
    - name: canary
      tenants: [c1]
    - name: rest
`, sixOnTwoServers)
		b.fleet.fail["c1"] = true
		r := b.start(t)
		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutHalted, out.Rollout.Status)
		require.Equal(t, []string{"c1"}, b.fleet.started(), "nothing after the halting wave ran")
		require.Equal(t, control.ItemFailed, b.states(t, r.ID)["c1"])
		require.Len(t, b.events.of(event.RolloutHalted), 1)
	})
}

// Pause and abort from another process stop the runner claiming tenants;
// the one in flight finishes. A paused rollout resumes where it stopped,
// each tenant migrated once; an aborted one leaves the rest pending.
func TestWorkPauseAndAbort(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		for _, verb := range []string{"pause", "abort"} {
			t.Run(verb, func(t *testing.T) {
				b := setup(t, e, "rollout:\n  concurrency: 1\n  batch_size: 2\n  snapshots: never\n", sixOnTwoServers)
				r := b.start(t)
				var once sync.Once
				b.fleet.during = func(ctx context.Context, _ string) {
					once.Do(func() {
						step := b.m.Pause
						if verb == "abort" {
							step = b.m.Abort
						}
						_, err := step(ctx, r.ID)
						require.NoError(t, err)
					})
				}
				out, err := b.m.Work(b.ctx, r.ID)
				require.NoError(t, err)
				require.Len(t, b.fleet.started(), 1, "no tenant is claimed after the %s", verb)
				counts := map[control.ItemState]int{}
				for _, s := range b.states(t, r.ID) {
					counts[s]++
				}
				require.Equal(t, map[control.ItemState]int{control.ItemDone: 1, control.ItemPending: 5}, counts)
				if verb == "abort" {
					require.Equal(t, control.RolloutAborted, out.Rollout.Status)
					return
				}
				require.Equal(t, control.RolloutPaused, out.Rollout.Status)
				require.Len(t, b.events.of(event.RolloutPaused), 1)
				b.fleet.during = nil
				_, err = b.m.Reopen(b.ctx, r.ID)
				require.NoError(t, err)
				out, err = b.m.Work(b.ctx, r.ID)
				require.NoError(t, err)
				require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
				require.ElementsMatch(t, []string{"c1", "a1", "a2", "b1", "b2", "b3"}, b.fleet.started(), "each tenant once")
				require.Len(t, b.events.of(event.WaveStarted), 1, "a resumed wave is not announced again")
			})
		}
	})
}

// A graceful stop lets the tenants in flight finish and returns with the
// rollout still running and the others unclaimed.
func TestWorkGracefulStop(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 2\n  batch_size: 2\n  snapshots: never\n", sixOnTwoServers)
		r := b.start(t)
		ctx, stop := schedule.WithStop(b.ctx)
		b.fleet.during = func(context.Context, string) { stop() }
		out, err := b.m.Work(ctx, r.ID)
		require.NoError(t, err)
		require.True(t, out.Stopped)
		require.Equal(t, control.RolloutRunning, out.Rollout.Status)
		items, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		done := 0
		for _, it := range items {
			switch it.State {
			case control.ItemDone:
				done++
			case control.ItemPending:
				require.Zero(t, it.Attempts, "%s was claimed after the stop", it.Tenant)
			default:
				t.Fatalf("%s is %s", it.Tenant, it.State)
			}
		}
		require.Equal(t, len(b.fleet.started()), done, "the tenants in flight finished")
		require.Less(t, done, 6)
	})
}

// A tenant whose runner died (its lease expired by the control database's
// clock) is taken over and migrated; the dead runner's late release is
// refused.
func TestWorkTakesOverExpiredLeases(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, "rollout:\n  concurrency: 2\n  snapshots: never\n", sixOnTwoServers[:2])
		r := b.start(t)
		items, err := b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		i := slices.IndexFunc(items, func(it control.Item) bool { return it.Tenant == "c1" })
		require.NotEqual(t, -1, i)
		dead, ok, err := b.store.Claim(b.ctx, items[i], "dead-runner", -time.Second)
		require.NoError(t, err)
		require.True(t, ok)

		out, err := b.m.Work(b.ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, control.RolloutCompleted, out.Rollout.Status)
		require.ElementsMatch(t, []string{"c1", "a1"}, b.fleet.started())
		items, err = b.store.Items(b.ctx, r.ID)
		require.NoError(t, err)
		for _, it := range items {
			require.Equal(t, control.ItemDone, it.State, it.Tenant)
			if it.Tenant == "c1" {
				require.Equal(t, 2, it.Attempts, "claimed by the dead runner, then taken over")
			}
		}
		ok, err = b.store.Release(b.ctx, dead, control.ItemFailed, time.Second, "late")
		require.NoError(t, err)
		require.False(t, ok, "the dead runner's lease was lost")
	})
}
