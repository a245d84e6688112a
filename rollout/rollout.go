package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/internal/problem"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/release"
)

// Migrator changes databases for a rollout: the system database or a
// tenant's to a schema version ("v1.2.0"), and a failed tenant back.
type Migrator interface {
	Migrate(ctx context.Context, ref control.Ref, to string) error
	// MigrateBegun migrates tenant t, as the runner's claim read it, to
	// version to; the claim marked its run as begun
	// (control.Store.ClaimRun), and before is the tenant's row as it was,
	// which the run puts back when it ends without recording its outcome.
	// release, when set, is ended by a run that succeeds, with its
	// outcome (control.Outcome.Release); it says whether it was.
	MigrateBegun(ctx context.Context, t control.Tenant, to string, before *control.VersionState, release *control.LeaseEnd) error
	// MigrateShadow migrates tenant code to version to by a shadow
	// migration (a wave's or large_tenants' strategy: shadow).
	MigrateShadow(ctx context.Context, code, to string) error
	// Restore takes a tenant back to version to (down migrations, else its
	// snapshot at that version) and says how.
	Restore(ctx context.Context, code, to string) (how string, err error)
}

// Snapshots takes and prunes the tenants' rollback points.
type Snapshots interface {
	// TakeSnapshot takes a rollback point of the tenant at its version.
	TakeSnapshot(ctx context.Context, code string, rollout int64) (control.Snapshot, error)
	// IrreversibleStep returns the first migration on the tenant's path to
	// version to that has no down migration, "" when down migrations can
	// take it back from there.
	IrreversibleStep(ctx context.Context, code, to string) (string, error)
	// PruneSnapshots drops the snapshots that retain no longer keeps.
	PruneSnapshots(ctx context.Context, retain config.Retention) (int, error)
}

// Releases resolves and guards the release a rollout brings tenants to.
type Releases interface {
	// ReleaseVersions maps a release (or schema version) to the system
	// and tenant schema versions it brings databases to, without the v.
	ReleaseVersions(release string) (system, tenant string, err error)
	// CheckRelease refuses a release this environment may not use yet:
	// an experimental one where experiments are not allowed, or one not
	// yet completed in the environment it comes after.
	CheckRelease(ctx context.Context, release string) error
	// Matrix is the compatibility matrix, for canMigrate.
	Matrix() *release.Matrix
}

// TenantOpener opens a tenant's database, for the SQL health probes.
type TenantOpener interface {
	OpenTenant(ctx context.Context, code string) (*dialect.Database, dialect.Dialect, error)
}

// Deps are the roles a Manager relies on besides the control database;
// every one is required. *herd.Fleet plays them all.
type Deps struct {
	Migrator
	Snapshots
	Releases
	TenantOpener
}

// Options configures a Manager. Zero values mean the defaults.
type Options struct {
	// Owner names this runner in leases; default host:pid.
	Owner string
	// Now is the clock for windows and schedules; default time.Now.
	Now func() time.Time
	// Events receives rollout and tenant events; optional.
	Events event.Sink
	// Reconnect is how long a runner keeps trying again after the control
	// database failed it (a lost connection, a failover) before it gives
	// up; default 1 minute, negative for no second try.
	Reconnect time.Duration
	// Logger hears of the failures a runner rides out; default discards.
	Logger *slog.Logger
	// Poll is how long a runner waits for tenants leased to other runners;
	// default a third of the lease.
	Poll time.Duration
	// HTTPClient runs the HTTP health probe; default a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// Manager starts, runs and steers rollouts. It is safe for concurrent use.
type Manager struct {
	store    *control.Store
	fleet    Deps
	cfg      *config.Config
	settings config.Rollout
	opts     Options
}

// New returns a Manager of the rollouts that store records, working on
// fleet with cfg's rollout settings.
func New(cfg *config.Config, store *control.Store, fleet Deps, opts Options) *Manager {
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Events == nil {
		opts.Events = event.Fanout{}
	}
	if opts.Reconnect == 0 {
		opts.Reconnect = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Poll == 0 {
		opts.Poll = cfg.Rollout.Lease / 3
	}
	return &Manager{store: store, fleet: fleet, cfg: cfg, settings: cfg.Rollout, opts: opts}
}

// StartRequest describes a rollout to start.
type StartRequest struct {
	// Release is a release name or schema version ("v2.0.0").
	Release string
	// Selector picks the tenants; see Select. Empty means all.
	Selector string
	// At schedules the start; nil starts now.
	At *time.Time
	// DryRun computes and returns the rollout without writing anything.
	DryRun bool
	// AllowEmpty starts a rollout even when the selector matches no
	// tenant (it then migrates the system database alone). Without it,
	// such a request is an input error wrapping ErrNoTenant and changes
	// nothing.
	AllowEmpty bool
}

// Start runs phase 1 of a rollout: it migrates the system database,
// records the rollout with every selected tenant in its wave, and marks the
// tenants' target version. Tenants the control database already records
// at the target are done at once, without a connection to them. The
// returned items say where each tenant stands.
func (m *Manager) Start(ctx context.Context, req StartRequest) (control.Rollout, []control.Item, error) {
	systemV, tenantV, err := m.fleet.ReleaseVersions(req.Release)
	if err != nil {
		return control.Rollout{}, nil, err
	}
	if err := m.fleet.CheckRelease(ctx, req.Release); err != nil {
		return control.Rollout{}, nil, err
	}
	all, err := m.store.Tenants(ctx)
	if err != nil {
		return control.Rollout{}, nil, err
	}
	size := Classify(m.cfg.LargeTenants)
	selected, err := Select(req.Selector, all, m.cfg.ServerNames(), size)
	if errors.Is(err, ErrNoTenant) && req.AllowEmpty {
		selected, err = nil, nil
	}
	if err != nil {
		return control.Rollout{}, nil, &problem.InputError{Err: err}
	}
	items, err := m.items(ctx, selected, m.release(req.Release, tenantV), tenantV, size)
	if err != nil {
		return control.Rollout{}, nil, err
	}
	r := control.Rollout{Release: req.Release, SystemVersion: systemV, TenantVersion: tenantV, Selector: req.Selector,
		Status: control.RolloutRunning, StartAt: req.At}
	if req.At != nil && req.At.After(m.opts.Now()) {
		r.Status = control.RolloutScheduled
	}
	if req.DryRun {
		return r, items, nil
	}
	if systemV != "" {
		if err := m.fleet.Migrate(ctx, control.SystemRef, "v"+systemV); err != nil {
			return control.Rollout{}, nil, fmt.Errorf("rollout: phase 1: %w", err)
		}
	}
	if r.ID, err = m.store.CreateRollout(ctx, r, items); err != nil {
		return control.Rollout{}, nil, err
	}
	if err := m.store.MarkTargets(ctx, pendingCodes(items), tenantV); err != nil {
		return control.Rollout{}, nil, err
	}
	m.emit(event.Event{Type: event.RolloutStarted, Rollout: r.ID, To: tenantV})
	return r, items, m.store.Audit(ctx, m.opts.Owner, "rollout.start", fmt.Sprint(r.ID),
		fmt.Sprintf("%s to %d tenants (selector %q)", req.Release, len(items), req.Selector))
}

// release is the row of the matrix a rollout to name (a release, or a
// tenant schema version) brings tenants to.
func (m *Manager) release(name, tenantV string) release.Release {
	matrix := m.fleet.Matrix()
	if r, ok := matrix.Find(name); ok {
		return r
	}
	r, _ := matrix.OnTenant(semver.MustParse(tenantV))
	return r
}

// items places the selected tenants in waves, from the control database
// alone: those already at the target are done, and those with an enabled
// feature the release lacks are skipped with the reason (canMigrate). size
// is the tenants' size class, for waves that select by it.
func (m *Manager) items(ctx context.Context, tenants []control.Tenant, rel release.Release, target string, size func(control.Tenant) config.SizeClass) ([]control.Item, error) {
	versions, err := m.store.Versions(ctx)
	if err != nil {
		return nil, err
	}
	current := map[string]control.VersionState{}
	for _, v := range versions {
		if v.Type == "tenant" {
			current[v.Identifier] = v
		}
	}
	var items []control.Item
	for _, a := range assignWaves(m.settings.Waves, tenants, size) {
		it := control.Item{Tenant: a.tenant.Code, Server: a.tenant.Server, Wave: a.wave, WaveName: a.waveName,
			Position: a.position, State: control.ItemPending, FromVersion: current[a.tenant.Code].CurrentVersion}
		if v := current[a.tenant.Code]; v.CurrentVersion == target && v.Status == control.StatusCompleted {
			it.State, it.Error = control.ItemDone, "already at v"+target
		} else if missing := rel.Missing(a.tenant.Features); len(missing) > 0 {
			it.State, it.Error = control.ItemSkipped, fmt.Sprintf("canMigrate: release %s lacks features the tenant has enabled: %s",
				rel.Name, strings.Join(missing, ", "))
		}
		items = append(items, it)
	}
	return items, nil
}

func pendingCodes(items []control.Item) []string {
	var codes []string
	for _, it := range items {
		if it.State == control.ItemPending {
			codes = append(codes, it.Tenant)
		}
	}
	return codes
}

// reconnect is how a runner rides out a failure of the control database
// while it does what: it tries again for Options.Reconnect, except after
// bad input, which no second try mends.
func (m *Manager) reconnect(what string) retry.Policy {
	p := retry.Logged(m.opts.Logger, m.opts.Reconnect, "rollout: "+what)
	p.Retryable = func(err error) bool { return !isInputError(err) }
	return p
}

func (m *Manager) emit(e event.Event) {
	if e.Time.IsZero() {
		e.Time = m.opts.Now().UTC()
	}
	m.opts.Events.Send(e)
}

// resolve returns rollout id, or the newest unfinished one when id is 0.
func (m *Manager) resolve(ctx context.Context, id int64) (control.Rollout, error) {
	if id == 0 {
		return m.store.LatestUnfinished(ctx)
	}
	return m.store.Rollout(ctx, id)
}

// Newest returns rollout id, or the newest rollout when id is 0.
func (m *Manager) Newest(ctx context.Context, id int64) (control.Rollout, error) {
	if id != 0 {
		return m.store.Rollout(ctx, id)
	}
	rs, err := m.store.Rollouts(ctx)
	if err != nil {
		return control.Rollout{}, err
	}
	if len(rs) == 0 {
		return control.Rollout{}, fmt.Errorf("no rollout yet: %w", control.ErrRolloutNotFound)
	}
	return rs[len(rs)-1], nil
}

// Pause stops runners from claiming new tenants; those in flight finish.
func (m *Manager) Pause(ctx context.Context, id int64) (control.Rollout, error) {
	return m.transition(ctx, id, "pause", []control.RolloutStatus{control.RolloutRunning, control.RolloutScheduled}, control.RolloutPaused, "paused by operator")
}

// Abort ends the rollout: no tenant is claimed again. Tenants already
// migrated stay migrated.
func (m *Manager) Abort(ctx context.Context, id int64) (control.Rollout, error) {
	r, err := m.transition(ctx, id, "abort", []control.RolloutStatus{control.RolloutRunning, control.RolloutScheduled, control.RolloutPaused, control.RolloutHalted},
		control.RolloutAborted, "aborted by operator")
	if err != nil {
		return r, err
	}
	// The tenants it will not reach are no longer pending.
	items, err := m.store.Items(ctx, r.ID)
	if err != nil {
		return r, err
	}
	var pending []string
	for _, it := range items {
		if it.State == control.ItemPending {
			pending = append(pending, it.Tenant)
		}
	}
	return r, m.store.Unmark(ctx, pending, r.TenantVersion)
}

// Reopen makes a paused or halted rollout runnable again, or one that
// completed with failures (after herd repair resolved some); Work then
// carries on. A rollout paused before its start time is scheduled again.
func (m *Manager) Reopen(ctx context.Context, id int64) (control.Rollout, error) {
	r, err := m.resolve(ctx, id)
	if err != nil {
		return r, err
	}
	to := control.RolloutRunning
	if r.StartAt != nil && r.StartAt.After(m.opts.Now()) {
		to = control.RolloutScheduled
	}
	return m.transition(ctx, r.ID, "resume", []control.RolloutStatus{control.RolloutPaused, control.RolloutHalted, control.RolloutRunning, control.RolloutCompletedWithFailures},
		to, "")
}

// RetryFailed puts the failed and rolled-back tenants of rollout id (the
// newest rollout when 0, finished or not) back to pending and reopens it.
// With no such tenant it changes nothing: a paused rollout stays paused
// and a completed one completed.
func (m *Manager) RetryFailed(ctx context.Context, id int64) (control.Rollout, int64, error) {
	r, err := m.Newest(ctx, id)
	if err != nil {
		return r, 0, err
	}
	n, err := m.store.RetryItems(ctx, r.ID, control.ItemFailed, control.ItemRolledBack)
	if err != nil || n == 0 {
		return r, n, err
	}
	r, err = m.Reopen(ctx, r.ID)
	return r, n, err
}

func (m *Manager) transition(ctx context.Context, id int64, verb string, from []control.RolloutStatus, to control.RolloutStatus, reason string) (control.Rollout, error) {
	r, err := m.resolve(ctx, id)
	if err != nil {
		return r, err
	}
	ok, err := m.store.SetRolloutStatus(ctx, r.ID, from, to, reason)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, &problem.InputError{Err: fmt.Errorf("rollout %d is %s; cannot %s it", r.ID, r.Status, verb)}
	}
	if to == control.RolloutPaused {
		m.emit(event.Event{Type: event.RolloutPaused, Rollout: r.ID, Reason: reason})
	}
	if err := m.store.Audit(ctx, m.opts.Owner, "rollout."+verb, fmt.Sprint(r.ID), reason); err != nil {
		return r, err
	}
	return m.store.Rollout(ctx, r.ID)
}

// isInputError reports whether err is a request the rollout refused.
func isInputError(err error) bool {
	var in *problem.InputError
	return errors.As(err, &in) || errors.Is(err, control.ErrRolloutNotFound)
}
