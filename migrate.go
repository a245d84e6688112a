package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/schedule"
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
	// running (BeginTenants, or a rollout's ClaimRun), which then makes no
	// Begin write of its own: it is the row as it was before, which
	// Unbegin puts back when the run ends without recording its outcome.
	before *control.VersionState
	// release, when set, is a rollout's lease on the tenant, which a run
	// that succeeds ends in the commit that records it.
	release *control.LeaseEnd
	open    func(ctx context.Context) (*dialect.Database, func() error, error)
	// srv and database are a tenant's server and database name, for its
	// pre-flight rehearsal.
	srv      server
	database string
	// private is set when open returns a pool of the target's own, which
	// its close func closes: a session then ends by closing its
	// connection (see execute.Session.Discard).
	private bool
	// small is set for a tenant herd analyze found below large_tenants'
	// thresholds (config.LargeTenants.RunsWhole): its chunked migrations
	// run whole (see execute.Options.WholeChunks).
	small bool
	// throttle is the throttle probe of a tenant's server, if it has one.
	throttle *execute.Throttle
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
	small := t.Size != nil && f.cfg.LargeTenants.RunsWhole(t.Size.Rows, t.Size.Bytes, true)
	return target{ref: ref, kind: source.Tenant, dialect: srv.dialect, features: t.Features, private: true, small: small,
		throttle: srv.throttle(), srv: srv, database: t.Database,
		open: func(ctx context.Context) (*dialect.Database, func() error, error) {
			db, err := srv.Open(ctx, t.Database)
			if err != nil {
				return nil, nil, err
			}
			return db, db.Close, nil
		}}, nil
}

// session locks the target's database and runs fn under the lock. What
// goes wrong releasing the lock or the connection afterwards is logged as
// a warning and never joins fn's result: the server frees a session's
// lock with the session, and what fn committed stays committed.
func (f *Fleet) session(ctx context.Context, tg target, fn func(s *execute.Session) error) error {
	db, closeDB, err := tg.open(ctx)
	if err != nil {
		return err
	}
	defer f.warn(tg.ref, "close the connection", closeDB)
	opts := f.runOptions(tg.kind, tg.ref)
	opts.WholeChunks, opts.Throttle = tg.small, tg.throttle
	s, err := execute.New(tg.dialect, opts).Lock(ctx, db)
	if err != nil {
		return err
	}
	end := s.Close
	if tg.private {
		end = s.Discard
	}
	defer f.warn(tg.ref, "end the session", func() error { return end(ctx) })
	return fn(s)
}

// stepEvents passes the step events of ref's database on to
// Options.Events, naming the database by ref; nil when no one listens.
func (f *Fleet) stepEvents(ref control.Ref) event.Sink {
	if f.opts.Events == nil {
		return nil
	}
	return event.SinkFunc(func(e event.Event) {
		e.Database = ref.String()
		if ref.Type == source.Tenant {
			e.Tenant = ref.Identifier
		}
		f.opts.Events.Send(e)
	})
}

// emit sends a step event of ref's database to Options.Events, if set.
func (f *Fleet) emit(ref control.Ref, e event.Event) {
	if sink := f.stepEvents(ref); sink != nil {
		sink.Send(e)
	}
}

// warn runs a clean-up step whose failure cannot undo what came before
// it, and logs that failure.
func (f *Fleet) warn(ref control.Ref, what string, step func() error) {
	if err := step(); err != nil {
		f.opts.Logger.Warn("herd: "+what+" failed; the migration's outcome stands", "database", ref.String(), "err", err)
	}
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

// MigrateBegun is Migrate for tenant t, as its caller read it from the
// registry, whose run towards to the caller has already marked as begun
// in the control database, as control.Store.ClaimRun does; before is the
// tenant's row as it was then (nil when it had none: the run then marks
// itself). The run makes no commit of its own to begin and reads neither
// the registry nor the row, as a run of a fleet-wide migration does. A
// run that ends without recording its outcome (an input error, a stop
// before it began) puts the row back. release, when set, is the caller's
// rollout lease on the tenant: a run that succeeds ends it in the commit
// that records the run, and sets release.Committed.
func (f *Fleet) MigrateBegun(ctx context.Context, t control.Tenant, to string, before *control.VersionState, release *control.LeaseEnd) error {
	version, err := f.resolveTarget(source.Tenant, to)
	var tg target
	if err == nil {
		tg, err = f.tenantTarget(t)
	}
	if err != nil {
		return f.unbegin(ctx, before, err)
	}
	tg.before, tg.release = before, release
	return f.migrate(ctx, tg, version)
}

// unbegin puts back before, the row of a run that a caller marked as
// begun and that ended with err without recording its outcome, and
// returns err with any failure to do so; err alone when before is nil.
func (f *Fleet) unbegin(ctx context.Context, before *control.VersionState, err error) error {
	if before == nil {
		return err
	}
	return errors.Join(err, f.control.Unbegin(context.WithoutCancel(ctx), *before))
}

func (f *Fleet) migrate(ctx context.Context, tg target, to *semver.Version) error {
	recorded := false
	err := f.session(ctx, tg, func(s *execute.Session) (err error) {
		recorded, err = f.apply(ctx, tg, s, to)
		return err
	})
	if err != nil && !recorded {
		err = f.unbegin(ctx, tg.before, err)
	}
	if errors.Is(err, execute.ErrOutcomeUnknown) {
		err = f.settleRun(ctx, tg, to, err)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", tg.ref, err)
	}
	return nil
}

// apply plans and runs the migration of tg's locked database to version
// to. recorded reports whether it reached the control-database write that
// records the run's outcome, whether or not that write succeeded. Once the
// database's ledger shows it at to, apply succeeds: a failure to record
// that in the control database is retried and then logged, and the next
// run reconciles it from the ledger.
func (f *Fleet) apply(ctx context.Context, tg target, s *execute.Session, to *semver.Version) (recorded bool, err error) {
	entries, err := f.settle(ctx, tg, s)
	if err != nil {
		return false, err
	}
	migrations := f.src.Migrations(tg.kind)
	p, err := plan.Make(f.src, tg.kind, execute.Applied(entries), to, f.planOptions(tg))
	if err != nil {
		return false, describeDirty(err, entries)
	}
	from := control.Version(p.From)
	if len(p.Steps) == 0 {
		return true, f.nothingToDo(ctx, tg, entries, from)
	}
	last, err := f.lastRun(ctx, tg)
	if err != nil {
		return false, err
	}
	if err := f.catchUpHistory(ctx, tg, last, entries); err != nil {
		return false, err
	}
	atReference, checked, err := f.preflight(ctx, tg, s, p, last)
	if err != nil {
		return false, err
	}
	if atReference {
		s.StampSchema()
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
			return false, &unsettledError{run: runErr, read: err}
		}
		current = control.Version(plan.Current(migrations, execute.Applied(after)))
		if f.atTarget(tg, after, to) {
			// The path committed, and then its connection failed.
			f.opts.Logger.Warn("herd: the migration committed; the error after it is ignored", "database", tg.ref.String(), "err", runErr)
			runErr = nil
		}
	}
	detail := fmt.Sprintf("%s -> v%s, %d %s steps", versionLabel(from), to, len(p.Steps), p.Direction())
	if runErr != nil {
		detail += ": " + runErr.Error()
	}
	// One control-database commit for the history, the version, the
	// audit, where the pre-flight found the tenant at its reference the
	// stamp of the next (and the drift check that it is there, with
	// drift_fresh), and a rollout's release of the tenant.
	out := control.Outcome{Current: current, Err: runErr, Steps: results, Actor: f.opts.Actor, Detail: detail}
	if runErr == nil {
		out.Checked, out.Release = checked, tg.release
		if stamp := s.Stamp(); stamp != "" {
			out.Stamp = &control.Stamp{Version: current, Value: stamp}
		}
	}
	finish := func(ctx context.Context) error { return f.control.Finish(ctx, tg.ref, out) }
	err = retry.Do(context.WithoutCancel(ctx), f.reconnect(tg.ref, "record the run in the control database"), finish)
	if err != nil && runErr == nil {
		f.opts.Logger.Warn("herd: could not record a committed migration in the control database; the next run reconciles it from the ledger",
			"database", tg.ref.String(), "err", err)
		return true, nil
	}
	return true, errors.Join(runErr, err)
}

// lastRun is tg's row of database_schema_versions as the last run left
// it, nil when there is none: the row BeginTenants returned for a run of
// a fleet-wide migration, else read. catchUpHistory reads its status and
// the pre-flight its schema stamp.
func (f *Fleet) lastRun(ctx context.Context, tg target) (*control.VersionState, error) {
	if tg.before != nil {
		return tg.before, nil
	}
	v, ok, err := f.control.Version(ctx, tg.ref)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// catchUpHistory reconciles the control database's history with the
// ledger before a run, where the run before it did not finish (last, its
// row, still says running): a process killed between two migrations had
// committed the first, which its history buffer (see buffer) never
// wrote, and this run's history would otherwise lack it for good.
func (f *Fleet) catchUpHistory(ctx context.Context, tg target, last *control.VersionState, entries []execute.Entry) error {
	if last == nil || last.Status != control.StatusRunning {
		return nil
	}
	return f.reconcile(ctx, tg, entries, "")
}

// atTarget reports whether a ledger shows tg's database at version to:
// nothing dirty and nothing left to plan.
func (f *Fleet) atTarget(tg target, entries []execute.Entry, to *semver.Version) bool {
	for _, e := range entries {
		if e.State == execute.StateDirty {
			return false
		}
	}
	p, err := plan.Make(f.src, tg.kind, execute.Applied(entries), to, f.planOptions(tg))
	return err == nil && len(p.Steps) == 0
}

// unsettledError is a run that failed and then lost its database before
// its ledger could be read again, so that whether its last step committed
// is unknown.
type unsettledError struct{ run, read error }

func (e *unsettledError) Error() string {
	return fmt.Sprintf("%v; %v: %v", e.run, execute.ErrOutcomeUnknown, e.read)
}

func (e *unsettledError) Unwrap() []error { return []error{e.run, execute.ErrOutcomeUnknown, e.read} }

// settleRun decides a run that ended unsettled (err holds an
// *unsettledError): it reads the ledger again on a fresh connection,
// retrying through a connection blip. When the ledger shows the database
// at to, the path committed after all: settle records that in the control
// database and returns nil. When it shows otherwise, it records and
// returns the run's own failure. When it still cannot read the ledger, it
// returns err, whose outcome stays unknown.
func (f *Fleet) settleRun(ctx context.Context, tg target, to *semver.Version, err error) error {
	var u *unsettledError
	if !errors.As(err, &u) {
		return err
	}
	var entries []execute.Entry
	read := func(ctx context.Context) (rerr error) {
		entries, rerr = readLedger(ctx, tg)
		return rerr
	}
	// Settle even when the run's context ended (a timeout): the read is
	// short and bounded, and an unsettled run must not be guessed.
	ctx = context.WithoutCancel(ctx)
	if rerr := retry.Do(ctx, f.reconnect(tg.ref, "read the ledger after a lost connection"), read); rerr != nil {
		return err
	}
	if !f.atTarget(tg, entries, to) {
		migrations := f.src.Migrations(tg.kind)
		current := control.Version(plan.Current(migrations, execute.Applied(entries)))
		return errors.Join(u.run, f.control.End(ctx, tg.ref, current, u.run))
	}
	f.opts.Logger.Warn("herd: the migration committed; the error after it is ignored", "database", tg.ref.String(), "err", u.run)
	if rerr := f.reconcile(ctx, tg, entries, ""); rerr != nil {
		return rerr
	}
	return f.control.Sync(ctx, tg.ref, to.String())
}

// reconnect is how long and how often herd tries again to reach a
// database whose connection failed (see Options.Reconnect), logging each
// failure it rides out.
func (f *Fleet) reconnect(ref control.Ref, what string) retry.Policy {
	return retry.Logged(f.opts.Logger, f.opts.Reconnect, "herd: "+what, "database", ref.String())
}

// nothingToDo ends a run that found tg's database at its target: it
// reconciles the control database's history with the ledger and, only
// where the control database's row disagrees with the ledger, records
// where the database stands. A row a fleet-wide run marked as running is
// put back as it was: a run that changed nothing leaves it alone.
func (f *Fleet) nothingToDo(ctx context.Context, tg target, entries []execute.Entry, current string) error {
	if err := f.reconcile(ctx, tg, entries, ""); err != nil {
		return err
	}
	row := tg.before
	if row != nil {
		if err := f.control.Unbegin(ctx, *row); err != nil {
			return err
		}
	} else if v, ok, err := f.control.Version(ctx, tg.ref); err != nil {
		return err
	} else if ok {
		row = &v
	}
	if row != nil && row.CurrentVersion == current && row.Status == control.StatusCompleted && row.Error == "" {
		return nil
	}
	return f.control.Sync(ctx, tg.ref, current)
}

// settle reads the locked database's ledger and, when a kill left a
// statement of it uncertain that the database itself can settle (see
// execute.Session.Settle), finishes that migration first, recording it as
// a repair: a rollout resumes by itself where only a person could before.
// It returns the ledger as it then is.
func (f *Fleet) settle(ctx context.Context, tg target, s *execute.Session) ([]execute.Entry, error) {
	entries, err := s.Ledger(ctx)
	if err != nil || !slices.ContainsFunc(entries, execute.Entry.Uncertain) {
		return entries, err
	}
	verdict, entry, err := s.Settle(ctx, f.src, tg.kind)
	if err != nil || verdict == execute.UncertainUnknown {
		return entries, err
	}
	if _, err := s.Repair(ctx, f.src, tg.kind, execute.Retry, verdict, historyRecorder{f.control, tg.ref}); err != nil {
		return nil, fmt.Errorf("finish %s: %w", entry.Describe(), err)
	}
	detail := fmt.Sprintf("%s; the database shows statement %d %s: finished it", entry.Describe(), entry.StatementStarted, verdict)
	if err := f.control.Audit(ctx, f.opts.Actor, "repair.settled", tg.ref.Identifier, detail); err != nil {
		return nil, err
	}
	return s.Ledger(ctx)
}

// ErrStopped is what MigrateAll returns when a graceful stop (WithStop)
// stopped it before its end and no tenant failed: the tenants it did not
// start are as they were, and running it again carries on.
var ErrStopped = errors.New("stopped on request")

// WithStop returns a copy of ctx that carries a graceful stop, and the
// function that requests it: MigrateAll, and the rollout runners of
// Fleet.Rollouts, working under the returned context then start no other
// tenant and let those in flight finish. Cancelling ctx ends them at once.
func WithStop(ctx context.Context) (context.Context, context.CancelFunc) {
	return schedule.WithStop(ctx)
}

// MigrateAll migrates the system database, then every tenant with at most
// concurrency at a time (1 when less than 1), to version to ("" for the
// latest). Where herd.yaml caps the tenants of one server below the
// rollout concurrency (rollout.per_server), MigrateAll keeps to that cap
// too. The tenants are handed to the workers in batches of concurrency
// (of one server each, at most its cap, where the cap binds), and each
// batch is marked as running in the control database with one write (see
// beginBatch). It does not stop at a tenant's failure; the
// returned *TenantsError lists every failure. When ctx's graceful stop is
// requested (WithStop) it starts no other tenant, waits for those in
// flight, and says how many it left; that error wraps ErrStopped only when
// no tenant failed.
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
	system, err := f.systemTarget(to)
	if err != nil {
		return err
	}
	systemChanged := false
	if system != nil {
		if p, err := f.Plan(ctx, control.SystemRef, "v"+system.String()); err == nil {
			systemChanged = len(p.Steps) > 0
		}
		if err := f.Migrate(ctx, control.SystemRef, "v"+system.String()); err != nil {
			return err
		}
	}
	concurrency = max(concurrency, 1)
	var (
		mu   sync.Mutex
		errs []error
		jobs []*batched
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	// Batches hold concurrency tenants; where a server's cap binds, each
	// holds tenants of one server only, at most its cap, so that a batch
	// is not marked running while its server is full.
	size, perServer := concurrency, f.perServer()
	if perServer > 0 {
		size = min(size, perServer)
	}
	filling := map[string]*tenantBatch{} // by server, or all under ""
	classify := rollout.Classify(f.cfg.LargeTenants)
	for _, t := range tenants {
		tg, err := f.tenantTarget(t)
		if err != nil {
			fail(err)
			continue
		}
		key := ""
		if perServer > 0 {
			key = t.Server
		}
		batch := filling[key]
		if batch == nil || len(batch.jobs) == size {
			batch = &tenantBatch{}
			filling[key] = batch
		}
		large := classify(t) == config.SizeLarge
		job := &batched{target: tg, server: t.Server, large: large, batch: batch}
		batch.jobs = append(batch.jobs, job)
		jobs = append(jobs, job)
	}
	pool := schedule.Pool[*batched]{
		Limits: schedule.Limits{Concurrency: concurrency, PerServer: perServer, Large: f.cfg.LargeTenants.Concurrency},
		Server: func(j *batched) string { return j.server },
		Large:  func(j *batched) bool { return j.large },
		// A batch is marked as running once a worker is free for the
		// first of its tenants to start.
		Gate: func(j *batched) bool {
			if !j.batch.begun {
				j.batch.begun = true
				f.beginBatch(ctx, j.batch.jobs, version)
			}
			return true
		},
		Work: func(ctx context.Context, j *batched) {
			if err := f.migrate(ctx, j.target, version); err != nil {
				fail(err)
			}
		},
	}
	left := pool.Run(ctx, jobs) // the tenants a stop kept from starting
	if err := f.unbeginAll(ctx, left); err != nil {
		fail(err)
	}
	if len(left) > 0 {
		note := fmt.Sprintf("%d of %d tenants not started; migrate --all again carries on", len(left), len(tenants))
		if len(errs) > 0 {
			return errors.Join(tenantsError(errs, len(tenants), len(tenants)-len(left), systemChanged), fmt.Errorf("stopped on request: %s", note))
		}
		return fmt.Errorf("%w: %s", ErrStopped, note)
	}
	if len(errs) > 0 {
		return tenantsError(errs, len(tenants), len(tenants), systemChanged)
	}
	return nil
}

// batched is one tenant of a fleet-wide migration, in its batch.
type batched struct {
	target
	server string
	// large is set for a tenant herd analyze found large: at most
	// large_tenants.concurrency of them run at once.
	large bool
	batch *tenantBatch
}

// tenantBatch is a batch of a fleet-wide migration, marked as running in
// the control database with one write (see beginBatch).
type tenantBatch struct {
	jobs  []*batched
	begun bool
}

// perServer is the cap of a fleet-wide migration on one server's tenants:
// rollout.per_server where herd.yaml sets it below rollout.concurrency
// (where it binds a rollout), none otherwise.
func (f *Fleet) perServer() int {
	if r := f.cfg.Rollout; r.PerServer < r.Concurrency {
		return r.PerServer
	}
	return 0
}

// unbeginAll puts back the control rows of the tenants of a begun batch
// that a stop kept from starting.
func (f *Fleet) unbeginAll(ctx context.Context, jobs []*batched) error {
	var errs []error
	for _, j := range jobs {
		errs = append(errs, f.unbegin(ctx, j.before, nil))
	}
	return errors.Join(errs...)
}

// beginBatch marks the runs of a batch of tenants as running in one
// control-database write, as the batch's first tenant is handed to a
// worker: a fleet-wide migration then makes one such write per batch
// rather than one per tenant, and a tenant may show as running for as
// long as the tenants before it in its batch (and, under a server's cap,
// those running on its server) take to start. When the write
// fails, each run makes its own, which reports the failure.
func (f *Fleet) beginBatch(ctx context.Context, batch []*batched, to *semver.Version) {
	codes := make([]string, len(batch))
	for i, j := range batch {
		codes[i] = j.ref.Identifier
	}
	before, err := f.control.BeginTenants(ctx, codes, control.Version(to))
	if err != nil {
		return
	}
	for i, j := range batch {
		j.before = before[i]
	}
}

// systemTarget is the system version that goes with target to, by
// release.Matrix.SystemSchema; nil when the system database has nothing to
// go to. An unknown release or system schema is an input error.
func (f *Fleet) systemTarget(to string) (*semver.Version, error) {
	v, err := f.matrix.SystemSchema(to)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return v, nil
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
// records the outcome. A tenant it leaves at the version of an unfinished
// rollout in which the tenant failed is marked done there, so that the
// rollout can be resumed. It returns the ledger entry as it was before.
func (f *Fleet) Repair(ctx context.Context, ref control.Ref, action execute.RepairAction, uncertain execute.Uncertain) (execute.Entry, error) {
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return execute.Entry{}, err
	}
	var (
		before  execute.Entry
		current string
	)
	err = f.session(ctx, tg, func(s *execute.Session) error {
		if uncertain == execute.UncertainUnknown {
			// Where the database can tell, it answers for the operator.
			v, _, err := s.Settle(ctx, f.src, tg.kind)
			if err != nil {
				return err
			}
			uncertain = v
		}
		var rerr error
		before, rerr = s.Repair(ctx, f.src, tg.kind, action, uncertain, historyRecorder{f.control, ref})
		if errors.Is(rerr, execute.ErrNotDirty) {
			return &InputError{Err: rerr}
		}
		after, err := s.Ledger(context.WithoutCancel(ctx))
		if err != nil {
			return errors.Join(rerr, err)
		}
		// A run killed part-way left migrations its history lacks.
		if err := f.reconcile(context.WithoutCancel(ctx), tg, after, ""); err != nil {
			return errors.Join(rerr, err)
		}
		current = control.Version(plan.Current(f.src.Migrations(tg.kind), execute.Applied(after)))
		return errors.Join(rerr, f.control.End(context.WithoutCancel(ctx), ref, current, rerr))
	})
	if err != nil {
		return before, fmt.Errorf("repair %s: %w", ref, err)
	}
	if ref.Type == source.Tenant {
		note := fmt.Sprintf("resolved by herd repair --action %s (%s)", action, before.Describe())
		if _, err := f.control.ResolveItems(ctx, ref.Identifier, current, note); err != nil {
			return before, err
		}
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
//
// The history rows of migrations the ledger no longer holds say why with
// undone, when it is known (a snapshot restore); otherwise they read as
// down migrations.
func (f *Fleet) reconcile(ctx context.Context, tg target, entries []execute.Entry, undone string) error {
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
	rec := historyRecorder{f.control, tg.ref}
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
			if err := rec.Record(ctx, execute.Result{Migration: m, Direction: plan.Down, Started: f.opts.Now(), Note: undone}); err != nil {
				return err
			}
		}
	}
	return nil
}

// RollBack takes a tenant back to version to after a failed migration. A
// migration left dirty part-way (MySQL) is first undone with its mirrored
// down statements; one whose last statement has an outcome that the
// database cannot settle is left for an operator, never guessed.
func (f *Fleet) RollBack(ctx context.Context, ref control.Ref, to string) error {
	entries, err := f.Ledger(ctx, ref)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.State != execute.StateDirty {
			continue
		}
		// Repair settles an uncertain statement where the database can
		// tell, and refuses to guess where it cannot.
		if _, err := f.Repair(ctx, ref, execute.Rollback, execute.UncertainUnknown); err != nil {
			return fmt.Errorf("roll back %s: %w; repair it by hand", ref, err)
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
	sv, err := f.systemTarget(release)
	if err != nil {
		return "", "", err
	}
	return control.Version(sv), v.String(), nil
}
