package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/shadow"
	"github.com/herdhq/herd/source"
)

// MigrateShadow migrates tenant code up to version to ("" for the latest)
// by a shadow migration, under the tenant's migration lock: it copies the
// tenant beside itself while the application keeps reading and writing
// it, catches the copy up with what the application writes, freezes the
// tenant's writes (never its reads; each try bounded by
// shadow.freeze_timeout), catches up the rest, verifies that the copy
// equals the tenant, migrates the copy with the ordinary executor, and
// switches the tenant to it in one control-database transaction (see
// control.Store.SwitchTenant). The database the tenant left is kept as
// its rollback point: RollbackTenants switches back to it, and
// CleanupSwitches drops it.
//
// Whatever fails before the switch leaves the tenant exactly as it was
// (the shadow is dropped), and is recorded as the tenant's failure. A
// plan that goes down, a tenant already at version to (nothing to do), a
// table without a primary key, a shadow name the engine cannot hold, or,
// where tenants swap names, a database that already bears the name the
// tenant takes at the switch (shadow.OldName) is refused first, changing
// nothing.
func (f *Fleet) MigrateShadow(ctx context.Context, code, to string) error {
	version, err := f.resolveTarget(source.Tenant, to)
	if err != nil {
		return err
	}
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return err
	}
	tg, err := f.tenantTarget(t)
	if err != nil {
		return err
	}
	err = f.session(ctx, tg, func(s *execute.Session) error {
		if _, err := f.recordRenames(ctx, tg, t); err != nil {
			return err
		}
		entries, err := f.settle(ctx, tg, s)
		if err != nil {
			return err
		}
		p, err := plan.Make(f.src, tg.kind, execute.Applied(entries), version, f.planOptions(tg))
		if err != nil {
			return describeDirty(err, entries)
		}
		if len(p.Steps) == 0 {
			return f.nothingToDo(ctx, tg, entries, control.Version(p.From))
		}
		if p.Direction() != plan.Up {
			return &InputError{Err: fmt.Errorf("a shadow migration goes up; v%s is below the tenant's version: use herd rollback or herd migrate", version)}
		}
		if err := f.refuseSwitched(ctx, code); err != nil {
			return err
		}
		run := &shadowRun{f: f, tg: tg, tenant: t, srv: f.servers[t.Server], plan: p, entries: entries}
		if shadow.Swaps(run.srv.Server) {
			// The name the tenant will take must be free before anything
			// is made, not found taken at the end.
			if err := run.oldName(ctx); err != nil {
				return err
			}
		}
		return run.run(ctx)
	})
	if err != nil {
		return fmt.Errorf("shadow migrate %s: %w", tg.ref, err)
	}
	return nil
}

// shadowRun is one shadow migration of a tenant, under its lock.
type shadowRun struct {
	f      *Fleet
	tg     target
	tenant control.Tenant
	srv    server
	plan   *plan.Plan
	// entries are the tenant's ledger, read under its lock.
	entries []execute.Entry
	sh      *shadow.Shadow
	// record keeps the migration's phase in the control database.
	record *shadowRecord
	// release ends the tenant's write freeze; nil when none is held.
	release func() error
	// unannounce ends the freeze's record in the control database (see
	// announce); nil when there is none.
	unannounce func()
	// renamed is set once the tenant's database and its shadow swapped
	// names (renameTo); old is the name the tenant's database takes then,
	// checked free before anything was made (oldName).
	renamed bool
	old     string
}

// writeFreezeLease is how far ahead a write freeze's record in the
// control database runs: the migration extends it every third of it, so
// a record a killed herd left lapses within it.
const writeFreezeLease = 15 * time.Second

// run runs the phases and records the outcome: the switch, or the failure
// with the tenant as it was.
func (r *shadowRun) run(ctx context.Context) error {
	f, ref := r.f, r.tg.ref
	from := control.Version(r.plan.From)
	if err := f.control.Begin(ctx, ref, from, r.plan.To.String()); err != nil {
		return err
	}
	rec, err := f.recordShadowRun(ctx, r.tenant.Code, from, r.plan.To.String())
	if err != nil {
		return errors.Join(err, f.control.End(context.WithoutCancel(ctx), ref, from, err))
	}
	r.record = rec
	defer rec.end()
	if err := r.phases(ctx); err != nil {
		if r.sh == nil && r.renamed {
			// The tenant is on its copy; the control database lacks the
			// switch, which the next run records (recordRenames). The
			// run's record stays, to read as interrupted in its switch.
			return errors.Join(err, f.control.End(context.WithoutCancel(ctx), ref, from, err))
		}
		if r.sh != nil {
			r.emit(event.ShadowAbandoned, err.Error(), time.Time{})
			err = errors.Join(err, r.abandon(context.WithoutCancel(ctx)))
		}
		rec.abandoned(context.WithoutCancel(ctx), err)
		return errors.Join(err, f.control.End(context.WithoutCancel(ctx), ref, from, err))
	}
	return nil
}

// phases runs every phase up to the switch, and ends the freeze and the
// capture after it. An error before the switch leaves the shadow for run
// to abandon.
func (r *shadowRun) phases(ctx context.Context) error {
	if err := r.leftBehind(ctx); err != nil {
		return err
	}
	if r.sh == nil {
		if err := r.prepare(ctx); err != nil {
			return err
		}
	}
	sh := r.sh

	began := r.f.opts.Now()
	r.record.phase(ctx, control.ShadowCatchUp, nil)
	left, err := r.catchUp(ctx, shadow.DefaultBatch)
	if err != nil {
		return err
	}
	r.emit(event.ShadowCatchUp, fmt.Sprintf("%d changes left to catch up under the freeze", left), began)

	began = r.f.opts.Now()
	r.record.phase(ctx, control.ShadowFreeze, nil)
	if err := r.freeze(ctx); err != nil {
		return err
	}
	r.emit(event.ShadowFreeze, "writes frozen, reads go on", began)

	began = r.f.opts.Now()
	r.record.phase(ctx, control.ShadowVerify, nil)
	if _, err := r.catchUp(ctx, 1); err != nil {
		return err
	}
	if err := sh.Verify(ctx); err != nil {
		return err
	}
	r.emit(event.ShadowVerify, "the shadow equals the tenant", began)

	began = r.f.opts.Now()
	var results buffer
	r.record.phase(ctx, control.ShadowMigrate, &ShadowProgress{Of: int64(len(r.plan.Steps)), Unit: "migrations"})
	if err := r.migrate(ctx, r.record.steps(&results, len(r.plan.Steps))); err != nil {
		return err
	}
	r.emit(event.ShadowMigrate, fmt.Sprintf("%d migrations", len(results)), began)
	// Writes after the switch are what switching back would lose: the
	// new database counts them.
	if err := shadow.Watch(ctx, r.srv.Server, r.srv.dialect, sh.Name()); err != nil {
		return err
	}

	began = r.f.opts.Now()
	r.record.phase(ctx, control.ShadowSwitch, nil)
	how, err := r.switchOver(ctx, results)
	if err != nil {
		if r.sh == nil {
			return err // renamed: the tenant is on its copy
		}
		return errors.Join(err, shadow.Unwatch(context.WithoutCancel(ctx), r.srv.Server, r.srv.dialect, sh.Name()))
	}
	r.emit(event.ShadowSwitch, how, began)
	// The old database stays sealed (its capture refuses every write):
	// it is the rollback point.
	if err := sh.StopCapture(context.WithoutCancel(ctx)); err != nil {
		r.f.opts.Logger.Warn("herd: the tenant switched; closing the shadow or removing its mark failed", "database", r.tg.ref.String(), "err", err)
	}
	return nil
}

// switchOver cuts the tenant over to its migrated shadow and records the
// switch, and says how, for the shadow.switch event: by rename where
// tenants swap names (renameTo), else sealed as the freeze ends, then
// moved in the registry. Sealed before the switch, the database the
// tenant leaves refuses the writes that waited for the freeze, and those
// of applications that still resolve the tenant to it, instead of taking
// them where no one reads them; until the switch commits the tenant
// refuses writes, and a switch that fails abandons the shadow, which
// unseals the tenant: nothing was written meanwhile. Once it switched,
// r.sh is nil.
func (r *shadowRun) switchOver(ctx context.Context, results []control.Step) (string, error) {
	sh := r.sh
	if shadow.Swaps(r.srv.Server) {
		if err := r.renameTo(ctx, results); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s renamed %s, v%s", sh.Name(), r.tenant.Database, r.plan.To), nil
	}
	sealed := func(ctx context.Context) (bool, error) {
		return shadow.Sealed(ctx, r.srv.Server, r.srv.dialect, r.tenant.Database)
	}
	if err := r.cutOver(ctx, sh.Name(), nil, sealed); err != nil {
		return "", err
	}
	r.emit(event.ShadowCutOver, r.tenant.Database+" sealed and frozen no more; the switch to "+sh.Name()+" comes next", time.Time{})
	if err := r.switchTo(ctx, results); err != nil {
		return "", err
	}
	r.sh = nil // switched: nothing to abandon
	r.thaw()
	return fmt.Sprintf("%s -> %s, v%s", r.tenant.Database, sh.Name(), r.plan.To), nil
}

// cutOver seals the tenant's database (its writes refused, naming
// movedTo), runs then, if any, in the freeze (the renames of a switch by
// rename), and ends the freeze: one commit where the freeze is a
// transaction. A release whose answer was lost is judged by committed.
// A herd stopped after it leaves the tenant sealed, refusing writes, never
// losing one, until the next shadow migration or herd repair of the
// tenant removes what it left (or, renamed, records the switch).
func (r *shadowRun) cutOver(ctx context.Context, movedTo string, then func(context.Context) error, committed func(context.Context) (bool, error)) error {
	release := r.release
	r.release = nil
	seal := func(ctx context.Context) error { return r.sh.Seal(ctx, movedTo) }
	return r.f.cutOver(ctx, r.tg.ref, seal, then, release, committed)
}

// cutOver runs seal (when set) and then (when set) in a write freeze and
// ends the freeze with release, which commits them where the freeze is a
// transaction. A release whose answer was lost is judged by committed:
// the error stands unless it says the cut-over committed.
func (f *Fleet) cutOver(ctx context.Context, ref control.Ref, seal, then func(context.Context) error, release func() error,
	committed func(context.Context) (bool, error)) error {
	for _, step := range []func(context.Context) error{seal, then} {
		if step == nil {
			continue
		}
		if err := step(ctx); err != nil {
			return errors.Join(err, release())
		}
	}
	if err := release(); err != nil {
		done, xerr := committed(context.WithoutCancel(ctx))
		if xerr != nil || !done {
			return errors.Join(err, xerr)
		}
		f.opts.Logger.Warn("herd: the cut-over committed; the error after it is ignored", "database", ref.String(), "err", err)
	}
	return nil
}

// prepare makes the shadow and copies the tenant to it (see
// shadow.Prepare), with an event as the capture begins and as the copy
// ends.
func (r *shadowRun) prepare(ctx context.Context) error {
	name, err := shadow.Name(r.tenant.Database, r.srv.MaxNameLength())
	if err != nil {
		return err
	}
	began := r.f.opts.Now()
	progress := func(step shadow.Step) {
		switch step {
		case shadow.Captured:
			r.emit(event.ShadowCapture, "changes captured; copying to "+name, began)
			began = r.f.opts.Now()
		case shadow.Copied:
			r.emit(event.ShadowCopy, "copied to "+name, began)
		}
	}
	r.sh, err = shadow.Prepare(ctx, r.srv.Server, r.srv.dialect, r.tenant.Database, &shadow.Options{Progress: progress})
	return err
}

// leftBehind deals with what a shadow migration of the tenant that was
// killed left. A finished copy (the shadow bears the tenant's mark and
// the tenant still captures its changes) whose ledger is still the
// tenant's (neither was migrated since) is resumed as the run's shadow:
// the run catches it up from the changes captured meanwhile instead of
// copying the tenant again. Anything else (a copy unfinished, a shadow
// migrated part-way) is removed, and the run starts again. Under the
// tenant's lock no other run goes on, and a freeze ends with its session,
// so none is left.
func (r *shadowRun) leftBehind(ctx context.Context) error {
	st, err := shadow.Inspect(ctx, r.srv.Server, r.srv.dialect, r.tenant.Database)
	if err != nil || !st.LeftBehind() {
		return err
	}
	if st.Resumable() {
		sh, err := r.resume(ctx)
		if err == nil {
			r.emit(event.ShadowCopy, fmt.Sprintf("resumed the copy %s an interrupted shadow migration made, with %d captured changes to catch up",
				st.Shadow, st.Changes), time.Time{})
			r.sh = sh
			return nil
		}
		r.f.opts.Logger.Warn("herd: the copy an interrupted shadow migration made cannot be resumed; copying again", "database", r.tg.ref.String(), "err", err)
	}
	if err := shadow.Remove(ctx, r.srv.Server, r.srv.dialect, r.tenant.Database); err != nil {
		return fmt.Errorf("remove what an interrupted shadow migration left: %w", err)
	}
	r.emit(event.ShadowAbandoned, fmt.Sprintf("removed what an interrupted shadow migration left (%d captured changes, shadow %s)", st.Changes, st.Shadow), time.Time{})
	return nil
}

// resume reopens the tenant's finished copy, and refuses it unless its
// ledger is the tenant's: the same migrations, in the same states, with
// the same checksums.
func (r *shadowRun) resume(ctx context.Context) (*shadow.Shadow, error) {
	sh, err := shadow.Resume(ctx, r.srv.Server, r.srv.dialect, r.tenant.Database, nil)
	if err != nil {
		return nil, err
	}
	entries, err := execute.ReadLedger(ctx, r.srv.dialect, sh.Database(), execute.DefaultLedgerTable)
	if err == nil && !slices.EqualFunc(entries, r.entries, sameEntry) {
		err = fmt.Errorf("its ledger (%d migrations) is not the tenant's (%d): one of them was migrated since", len(entries), len(r.entries))
	}
	if err != nil {
		return nil, errors.Join(err, sh.Close())
	}
	return sh, nil
}

// sameEntry reports whether two ledger rows record the same migration in
// the same state.
func sameEntry(a, b execute.Entry) bool {
	return a.ID == b.ID && a.Checksum == b.Checksum && a.State == b.State && a.Direction == b.Direction
}

// refuseSwitched refuses a tenant whose last shadow switch is still
// active: its database counts its writes for a switch back, which a
// second shadow migration would end.
func (f *Fleet) refuseSwitched(ctx context.Context, code string) error {
	sw, ok, err := f.activeSwitch(ctx, code)
	if err != nil || !ok {
		return err
	}
	return &InputError{Err: fmt.Errorf("tenant %q was switched from %s to %s (switch %d) and can still switch back: herd cleanup (or herd rollback) first",
		code, sw.OldDatabase, sw.NewDatabase, sw.ID)}
}

// activeSwitch returns tenant code's shadow switch that can still be
// taken back; ok is false when it has none.
func (f *Fleet) activeSwitch(ctx context.Context, code string) (sw Switch, ok bool, err error) {
	sws, err := f.control.Switches(ctx, code)
	if err != nil {
		return Switch{}, false, err
	}
	for _, sw := range sws {
		if sw.State == control.SwitchActive {
			return sw, true, nil
		}
	}
	return Switch{}, false, nil
}

// catchUp catches the shadow up until fewer than left changes remain,
// and returns how many do, with a progress event after each batch.
func (r *shadowRun) catchUp(ctx context.Context, left int) (int, error) {
	for {
		began := r.f.opts.Now()
		n, err := r.sh.CatchUp(ctx)
		if err != nil {
			return n, err
		}
		r.record.progress(ctx, ShadowProgress{Count: int64(n), Unit: "changes left"}, n < left)
		r.emit(event.ShadowCatchUpProgress, fmt.Sprintf("%d changes left to catch up", n), began)
		if n < left {
			return n, nil
		}
	}
}

// freeze freezes the tenant's writes, trying shadow.freeze_retries more
// times after a pause (catching up meanwhile) when the application's
// writers keep it from the freeze within shadow.freeze_timeout.
func (r *shadowRun) freeze(ctx context.Context) error {
	cfg := r.f.cfg.Shadow
	for try := 0; ; try++ {
		r.record.progress(ctx, ShadowProgress{Count: int64(try + 1), Of: int64(cfg.FreezeRetries + 1), Unit: "tries"}, true)
		release, err := r.sh.Freeze(ctx, cfg.FreezeTimeout)
		if err == nil {
			r.release = release
			return r.announce(ctx)
		}
		if !errors.Is(err, shadow.ErrFreezeTimeout) || try >= cfg.FreezeRetries {
			return err
		}
		r.emit(event.ShadowFreeze, fmt.Sprintf("try %d of %d gave up after %s: %v", try+1, cfg.FreezeRetries+1, cfg.FreezeTimeout, err), time.Time{})
		if err := retry.Sleep(ctx, cfg.FreezeTimeout); err != nil {
			return err
		}
		if _, err := r.catchUp(ctx, shadow.DefaultBatch); err != nil {
			return err
		}
	}
}

// announce records the freeze in the control database, so that routers
// report the tenant read-only, and keeps the record from lapsing until
// thaw.
func (r *shadowRun) announce(ctx context.Context) error {
	f, code := r.f, r.tenant.Code
	if err := f.control.FreezeWrites(ctx, code, f.opts.Now().Add(writeFreezeLease)); err != nil {
		return err
	}
	stop := keepAlive(ctx, writeFreezeLease/3, func(ctx context.Context) {
		if err := f.control.FreezeWrites(ctx, code, f.opts.Now().Add(writeFreezeLease)); err != nil && ctx.Err() == nil {
			f.opts.Logger.Warn("herd: extending the write freeze's record failed; routers may stop reporting it", "database", r.tg.ref.String(), "err", err)
		}
	})
	r.unannounce = func() {
		stop()
		f.warn(r.tg.ref, "record the end of the write freeze", func() error {
			return f.control.ThawWrites(context.WithoutCancel(ctx), code)
		})
	}
	return nil
}

// thaw ends the freeze and its record, if one is held.
func (r *shadowRun) thaw() {
	// The record goes first: a router that refreshes between the two
	// then sees the tenant writable (after a switch, at its new
	// database), and a write that still meets the lock waits only for
	// the release that follows, not for the router's next refresh.
	if r.unannounce != nil {
		r.unannounce()
		r.unannounce = nil
	}
	if r.release != nil {
		if err := r.release(); err != nil {
			r.f.opts.Logger.Warn("herd: ending the write freeze failed; it ends with its connection", "database", r.tg.ref.String(), "err", err)
		}
		r.release = nil
	}
}

// abandon ends the freeze and drops the shadow: the tenant is as it was.
func (r *shadowRun) abandon(ctx context.Context) error {
	r.thaw()
	return r.sh.Abandon(ctx)
}

// migrate runs the plan on the shadow, with the ordinary executor and its
// ledger. Nothing uses the shadow yet, so a chunked migration runs whole.
func (r *shadowRun) migrate(ctx context.Context, rec execute.Recorder) error {
	opts := r.f.runOptions(source.Tenant, r.tg.ref)
	opts.WholeChunks = true
	s, err := execute.New(r.srv.dialect, opts).Lock(ctx, r.sh.Database())
	if err != nil {
		return err
	}
	defer r.f.warn(r.tg.ref, "end the shadow's session", func() error { return s.Close(context.WithoutCancel(ctx)) })
	return s.Apply(ctx, r.plan, rec)
}

// switchTo moves the tenant to its migrated shadow in the control
// database. A switch whose commit was not acknowledged is read back: once
// the registry names the shadow, the switch stands.
func (r *shadowRun) switchTo(ctx context.Context, results []control.Step) error {
	sw := control.Switch{Tenant: r.tenant.Code, Server: r.tenant.Server, OldDatabase: r.tenant.Database,
		NewDatabase: r.sh.Name(), FromVersion: control.Version(r.plan.From), ToVersion: r.plan.To.String(),
		SwitchedAt: r.f.opts.Now()}
	_, err := r.f.control.SwitchTenant(ctx, sw, results, r.f.opts.Actor)
	if err == nil || errors.Is(err, control.ErrMoved) {
		return err
	}
	t, rerr := r.f.control.Tenant(context.WithoutCancel(ctx), r.tenant.Code)
	if rerr == nil && t.Database == sw.NewDatabase {
		r.f.opts.Logger.Warn("herd: the switch committed; the error after it is ignored", "database", r.tg.ref.String(), "err", err)
		return nil
	}
	return err
}

// emit sends a shadow phase's event, with the time since began (none when
// began is zero).
func (r *shadowRun) emit(t event.Type, reason string, began time.Time) {
	e := event.Event{Type: t, Time: r.f.opts.Now().UTC(), From: control.Version(r.plan.From), To: r.plan.To.String(), Reason: reason}
	if !began.IsZero() {
		e.Duration = r.f.opts.Now().Sub(began)
	}
	r.f.emit(r.tg.ref, e)
}
