package herd

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// target is one database herd can migrate, resolved from a Ref.
type target struct {
	ref     control.Ref
	kind    source.Target
	dialect dialect.Dialect
	// features are a tenant's enabled features, for canMigrate.
	features []string
	// before is set when the control database already marks this run as
	// running (BeginTenants), which then makes no Begin write of its own:
	// it is the row as it was before, which Unbegin puts back when the run
	// ends without recording its outcome.
	before *control.VersionState
	open   func(ctx context.Context) (*dialect.Database, func() error, error)
}

// resolve finds the database behind ref.
func (f *Fleet) resolve(ctx context.Context, ref control.Ref) (target, error) {
	if ref.Type == source.System {
		return target{ref: ref, kind: source.System, dialect: f.systemD,
			open: func(context.Context) (*dialect.Database, func() error, error) {
				return f.system, func() error { return nil }, nil
			}}, nil
	}
	t, err := f.control.Tenant(ctx, ref.Identifier)
	if err != nil {
		return target{}, err
	}
	return f.tenantTarget(t)
}

// tenantTarget is the database of tenant t.
func (f *Fleet) tenantTarget(t control.Tenant) (target, error) {
	ref := control.TenantRef(t.Code)
	srv, ok := f.servers[t.Server]
	if !ok {
		return target{}, &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", t.Code, t.Server)}
	}
	return target{ref: ref, kind: source.Tenant, dialect: srv.dialect, features: t.Features,
		open: func(ctx context.Context) (*dialect.Database, func() error, error) {
			db, err := srv.Open(ctx, t.Database)
			if err != nil {
				return nil, nil, err
			}
			return db, db.Close, nil
		}}, nil
}

// session locks the target's database and runs fn under the lock.
func (f *Fleet) session(ctx context.Context, tg target, fn func(s *execute.Session) error) (err error) {
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, closeDB()) }()
	observe := func(e execute.Event) {
		if f.opts.Observe != nil {
			e.Database = tg.ref.String()
			f.opts.Observe(e)
		}
	}
	s, err := execute.New(tg.dialect, &execute.Options{Now: f.opts.Now, Observe: observe, Splits: &f.splits}).Lock(ctx, db)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close(ctx)) }()
	return fn(s)
}

// Migrate brings the database ref names to version to ("" for the latest),
// up or down. An unknown tenant or version, or a plan policy refuses, is an
// input error and changes nothing.
func (f *Fleet) Migrate(ctx context.Context, ref control.Ref, to string) error {
	version, err := f.resolveTarget(ref.Type, to)
	if err != nil {
		return err
	}
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return err
	}
	return f.migrate(ctx, tg, version)
}

func (f *Fleet) migrate(ctx context.Context, tg target, to *semver.Version) error {
	recorded := false
	err := f.session(ctx, tg, func(s *execute.Session) (err error) {
		recorded, err = f.apply(ctx, tg, s, to)
		return err
	})
	if err != nil && tg.before != nil && !recorded {
		err = errors.Join(err, f.control.Unbegin(context.WithoutCancel(ctx), *tg.before))
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", tg.ref, err)
	}
	return nil
}

// apply plans and runs the migration of tg's locked database to version
// to. recorded reports whether it reached the control-database write that
// records the run's outcome, whether or not that write succeeded.
func (f *Fleet) apply(ctx context.Context, tg target, s *execute.Session, to *semver.Version) (recorded bool, err error) {
	entries, err := s.Ledger(ctx)
	if err != nil {
		return false, err
	}
	migrations := f.src.Migrations(tg.kind)
	p, err := plan.Make(f.src, tg.kind, execute.Applied(entries), to, f.planOptions(tg))
	if err != nil {
		return false, err
	}
	from := control.Version(p.From)
	if len(p.Steps) == 0 {
		if err := f.reconcile(ctx, tg, entries); err != nil {
			return false, err
		}
		return true, f.control.Sync(ctx, tg.ref, from)
	}
	if tg.before == nil {
		if err := f.control.Begin(ctx, tg.ref, from, control.Version(to)); err != nil {
			return false, err
		}
	}
	var results buffer
	runErr := s.Apply(ctx, p, &results)
	current := control.Version(to)
	if runErr != nil {
		after, err := s.Ledger(context.WithoutCancel(ctx))
		if err != nil {
			return false, errors.Join(runErr, err)
		}
		current = control.Version(plan.Current(migrations, execute.Applied(after)))
	}
	detail := fmt.Sprintf("%s -> v%s, %d %s steps", versionLabel(from), to, len(p.Steps), p.Direction())
	if runErr != nil {
		detail += ": " + runErr.Error()
	}
	// One control-database commit for the history, the version and the audit.
	return true, errors.Join(runErr, f.control.Finish(context.WithoutCancel(ctx), tg.ref, current, runErr, results, f.opts.Actor, detail))
}

// buffer collects a run's step results, for one control-database commit.
// A process killed before that commit loses them; the next run
// reconciles the history from the tenant's ledger.
type buffer []execute.Result

// Record appends r.
func (b *buffer) Record(_ context.Context, r execute.Result) error {
	*b = append(*b, r)
	return nil
}

// ErrStopped is what MigrateAll returns when Options.Stop stopped it
// before its end and no tenant failed: the tenants it did not start are
// as they were, and running it again carries on.
var ErrStopped = errors.New("stopped on request")

// MigrateAll migrates the system database, then every tenant with at most
// concurrency at a time (1 when less than 1), to version to ("" for the
// latest). The tenants are handed to the workers in batches of
// concurrency, and each batch is marked as running in the control
// database with one write (see beginBatch). It does not stop at a
// tenant's failure; the returned *TenantsError lists every failure. When
// Options.Stop closes it starts no other tenant, waits for those in
// flight, and says how many it left; that error wraps ErrStopped only
// when no tenant failed.
func (f *Fleet) MigrateAll(ctx context.Context, to string, concurrency int) error {
	return f.MigrateTenants(ctx, Selection{AllowEmpty: true}, to, concurrency)
}

// MigrateTenants is MigrateAll for the tenants sel names: a selector that
// does not parse or matches no tenant (unless sel.AllowEmpty) is an input
// error, and changes nothing.
func (f *Fleet) MigrateTenants(ctx context.Context, sel Selection, to string, concurrency int) error {
	version, err := f.resolveTarget(source.Tenant, to)
	if err != nil {
		return err
	}
	tenants, err := f.selectTenants(ctx, sel)
	if err != nil {
		return err
	}
	if system := f.systemTarget(to); system != nil {
		if err := f.Migrate(ctx, control.SystemRef, "v"+system.String()); err != nil {
			return err
		}
	}
	if concurrency < 1 {
		concurrency = 1
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		// sem holds a slot for each tenant handed to a worker and not
		// yet done, so that a batch is marked as running only once a
		// worker is free for its first tenant.
		sem  = make(chan struct{}, concurrency)
		work = make(chan target)
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	// The workers live as long as the fleet's migration: a goroutine per
	// tenant would grow a new stack to the engine driver's depth each time.
	for range concurrency {
		wg.Go(func() {
			for tg := range work {
				if err := f.migrate(ctx, tg, version); err != nil {
					fail(err)
				}
				<-sem
			}
		})
	}
	left := 0 // tenants not started because of a stop
	for start := 0; start < len(tenants) && left == 0; start += concurrency {
		batch := make([]target, 0, concurrency)
		for _, t := range tenants[start:min(start+concurrency, len(tenants))] {
			tg, err := f.tenantTarget(t)
			if err != nil {
				fail(err)
				continue
			}
			batch = append(batch, tg)
		}
		for i := range batch {
			sem <- struct{}{}
			if f.stopping() {
				<-sem
				if err := f.unbeginAll(ctx, batch[i:]); err != nil {
					fail(err)
				}
				left = len(batch) - i + max(0, len(tenants)-(start+concurrency))
				break
			}
			if i == 0 {
				f.beginBatch(ctx, batch, version)
			}
			work <- batch[i]
		}
	}
	close(work)
	wg.Wait()
	if left > 0 {
		note := fmt.Sprintf("%d of %d tenants not started; migrate --all again carries on", left, len(tenants))
		if len(errs) > 0 {
			return errors.Join(&TenantsError{Failed: len(errs), Total: len(tenants), Errors: errs}, fmt.Errorf("stopped on request: %s", note))
		}
		return fmt.Errorf("%w: %s", ErrStopped, note)
	}
	if len(errs) > 0 {
		return &TenantsError{Failed: len(errs), Total: len(tenants), Errors: errs}
	}
	return nil
}

// stopping reports whether Options.Stop is closed.
func (f *Fleet) stopping() bool {
	select {
	case <-f.opts.Stop:
		return true
	default:
		return false
	}
}

// unbeginAll puts back the control rows of the tenants of a begun batch
// that a stop kept from starting.
func (f *Fleet) unbeginAll(ctx context.Context, tgs []target) error {
	var errs []error
	for _, tg := range tgs {
		if tg.before != nil {
			errs = append(errs, f.control.Unbegin(context.WithoutCancel(ctx), *tg.before))
		}
	}
	return errors.Join(errs...)
}

// beginBatch marks the runs of a batch of tenants as running in one
// control-database write, as the batch's first tenant is handed to a
// worker: a fleet-wide migration then makes one such write per batch
// rather than one per tenant, and a tenant may show as running for as
// long as the tenants before it in its batch take to start. When the write
// fails, each run makes its own, which reports the failure.
func (f *Fleet) beginBatch(ctx context.Context, batch []target, to *semver.Version) {
	codes := make([]string, len(batch))
	for i, tg := range batch {
		codes[i] = tg.ref.Identifier
	}
	before, err := f.control.BeginTenants(ctx, codes, control.Version(to))
	if err != nil {
		return
	}
	for i := range batch {
		batch[i].before = before[i]
	}
}

// systemTarget is the system version that goes with tenant target to:
// the release's declared system version, else the highest system version
// not above to (nil when there is none, or no system migrations).
func (f *Fleet) systemTarget(to string) *semver.Version {
	versions := f.src.Versions(source.System)
	if len(versions) == 0 {
		return nil
	}
	if to == "" {
		return versions[len(versions)-1]
	}
	if r, ok := f.cfg.Release(to); ok {
		return r.System
	}
	want, err := source.ParseVersion(to)
	if err != nil {
		return nil
	}
	var best *semver.Version
	for _, v := range versions {
		if !v.GreaterThan(want) {
			best = v
		}
	}
	return best
}

// Plan returns the path ref's database would take to version to, without
// writing anything: the ledger is read, not created.
func (f *Fleet) Plan(ctx context.Context, ref control.Ref, to string) (*plan.Plan, error) {
	version, err := f.resolveTarget(ref.Type, to)
	if err != nil {
		return nil, err
	}
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	entries, err := readLedger(ctx, tg)
	if err != nil {
		return nil, err
	}
	return plan.Make(f.src, tg.kind, execute.Applied(entries), version, f.planOptions(tg))
}

// Ledger reads ref's ledger without locking or creating it.
func (f *Fleet) Ledger(ctx context.Context, ref control.Ref) ([]execute.Entry, error) {
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	return readLedger(ctx, tg)
}

func readLedger(ctx context.Context, tg target) ([]execute.Entry, error) {
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	return execute.ReadLedger(ctx, tg.dialect, db, execute.DefaultLedgerTable)
}

// Repair acts on ref's dirty migration (see execute.RepairAction) and
// records the outcome. It returns the ledger entry as it was before.
func (f *Fleet) Repair(ctx context.Context, ref control.Ref, action execute.RepairAction, uncertain execute.Uncertain) (execute.Entry, error) {
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return execute.Entry{}, err
	}
	var before execute.Entry
	err = f.session(ctx, tg, func(s *execute.Session) error {
		var rerr error
		before, rerr = s.Repair(ctx, f.src, tg.kind, action, uncertain, f.control.Recorder(ref))
		if errors.Is(rerr, execute.ErrNotDirty) {
			return &InputError{Err: rerr}
		}
		after, err := s.Ledger(context.WithoutCancel(ctx))
		if err != nil {
			return errors.Join(rerr, err)
		}
		current := control.Version(plan.Current(f.src.Migrations(tg.kind), execute.Applied(after)))
		return errors.Join(rerr, f.control.End(context.WithoutCancel(ctx), ref, current, rerr))
	})
	if err != nil {
		return before, fmt.Errorf("repair %s: %w", ref, err)
	}
	return before, f.control.Audit(ctx, f.opts.Actor, "repair."+string(action), ref.Identifier, before.Describe())
}

// OpenTenant opens the tenant's database for the application's own use
// (seeding, checks), with the engine it runs on. The caller closes it.
func (f *Fleet) OpenTenant(ctx context.Context, code string) (*dialect.Database, dialect.Dialect, error) {
	tg, err := f.resolve(ctx, control.TenantRef(code))
	if err != nil {
		return nil, nil, err
	}
	db, _, err := tg.open(ctx)
	return db, tg.dialect, err
}

func versionLabel(v string) string {
	if v == "" {
		return "none"
	}
	return "v" + v
}

// reconcile brings the control database's history in line with the
// database's ledger, the truth about it: a process killed after a
// migration committed and before the control database heard of it left a
// migration the history lacks (or one rolled back that it still shows).
func (f *Fleet) reconcile(ctx context.Context, tg target, entries []execute.Entry) error {
	history, err := f.control.History(ctx, tg.ref)
	if err != nil {
		return err
	}
	recorded := map[string]bool{}
	for _, h := range history {
		switch h.Status {
		case control.HistorySuccess:
			recorded[h.Migration] = true
		case control.HistoryRolledBack:
			delete(recorded, h.Migration)
		}
	}
	rec := f.control.Recorder(tg.ref)
	for _, e := range entries {
		if recorded[e.ID] || e.State != execute.StateApplied {
			delete(recorded, e.ID)
			continue
		}
		if m := f.src.Find(tg.kind, e.ID); m != nil {
			res := execute.Result{Migration: m, Direction: plan.Up, Checksum: e.Checksum, Started: e.AppliedAt,
				Duration: time.Duration(e.ExecutionMS) * time.Millisecond}
			if err := rec.Record(ctx, res); err != nil {
				return err
			}
		}
	}
	for id := range recorded {
		if m := f.src.Find(tg.kind, id); m != nil {
			if err := rec.Record(ctx, execute.Result{Migration: m, Direction: plan.Down, Started: f.opts.Now()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// RollBack takes a tenant back to version to after a failed migration. A
// migration left dirty part-way (MySQL) is first undone with its mirrored
// down statements; one whose last statement has an unknown outcome is
// left for an operator, never guessed.
func (f *Fleet) RollBack(ctx context.Context, ref control.Ref, to string) error {
	entries, err := f.Ledger(ctx, ref)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.State != execute.StateDirty {
			continue
		}
		if e.Uncertain() {
			return fmt.Errorf("roll back %s: %s; repair it by hand", ref, e.Describe())
		}
		if _, err := f.Repair(ctx, ref, execute.Rollback, execute.UncertainUnknown); err != nil {
			return err
		}
	}
	return f.Migrate(ctx, ref, to)
}

// ReleaseVersions returns the system and tenant schema versions (without
// the v) a release, or a schema version, brings databases to. The system
// version is "" when there are no system migrations. An unknown tenant
// version is an input error.
func (f *Fleet) ReleaseVersions(release string) (system, tenant string, err error) {
	v, err := f.resolveTarget(source.Tenant, release)
	if err != nil {
		return "", "", err
	}
	return control.Version(f.systemTarget(release)), v.String(), nil
}
