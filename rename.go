package herd

import (
	"context"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/shadow"
)

// A switch by rename. On a server whose tenants swap names
// (shadow.Swaps: PostgreSQL with a schema per tenant), a shadow
// migration's switch renames instead of moving the registry: in the
// tenant's write freeze, sealed, the tenant takes the name
// shadow.OldName and its migrated copy the tenant's name, and the freeze
// ends with the renames; the control database then records the switch,
// with the registry kept on the tenant's name. An application that
// reaches the tenant by its name, not through the router, follows at
// once. The two commits are on two databases: a herd stopped between
// them leaves the renames unrecorded, which recordRenames records under
// the tenant's lock before any shadow migration, switch back or repair
// of the tenant.

// renameTo switches the tenant to its migrated shadow by renaming, and
// records the switch. After the renames commit nothing is abandoned:
// the tenant is on its copy, whatever the control database says.
func (r *shadowRun) renameTo(ctx context.Context, results []control.Step) error {
	f, sh := r.f, r.sh
	old := r.old
	renames := func(ctx context.Context) error { return sh.SwapNames(ctx, old) }
	renamed := func(ctx context.Context) (bool, error) { return r.srv.Exists(ctx, old) }
	if err := r.cutOver(ctx, r.tenant.Database, renames, renamed); err != nil {
		return err
	}
	r.sh, r.renamed = nil, true // the tenant has its copy's name: nothing to abandon
	defer r.thaw()              // the freeze's record; its lock ended with the renames
	sw := control.Switch{Tenant: r.tenant.Code, Server: r.tenant.Server, OldDatabase: old, NewDatabase: r.tenant.Database,
		FromVersion: control.Version(r.plan.From), ToVersion: r.plan.To.String(), SwitchedAt: f.opts.Now(), Renamed: true}
	r.emit(event.ShadowCutOver, fmt.Sprintf("%s sealed and frozen no more; %s took the name %s, %s the name %s",
		r.tenant.Database, sh.Name(), r.tenant.Database, r.tenant.Database, old), time.Time{})
	if err := f.recordSwitch(ctx, r.tg.ref, sw, results); err != nil {
		return fmt.Errorf("%s took the name %s and the tenant the name %s, but the control database did not record it "+
			"(herd repair --tenant %s records it): %w", sh.Name(), r.tenant.Database, old, r.tenant.Code, err)
	}
	return nil
}

// oldName sets r.old, the name the tenant takes when its copy takes its
// name, before anything is made; a database that already bears it (what
// an earlier switch left, not yet cleaned up) refuses the migration.
func (r *shadowRun) oldName(ctx context.Context) error {
	old, err := shadow.OldName(r.tenant.Database, r.srv.MaxNameLength())
	if err != nil {
		return err
	}
	switch taken, err := r.srv.Exists(ctx, old); {
	case err != nil:
		return err
	case taken:
		return &InputError{Err: fmt.Errorf("tenant %q: %s, the name its database takes at the switch, exists: herd cleanup drops what earlier switches left", r.tenant.Code, old)}
	}
	r.old = old
	return nil
}

// recordSwitch records sw, a switch by rename, with the history of
// steps, trying again while the control database cannot be reached. The
// registry does not move, so nothing refuses a second record: a try after
// one whose answer was lost first reads back whether it committed.
func (f *Fleet) recordSwitch(ctx context.Context, ref control.Ref, sw control.Switch, steps []control.Step) error {
	ctx = context.WithoutCancel(ctx) // the tenant has switched: record it
	tried := false
	return retry.Do(ctx, f.reconnect(ref, "record the switch"), func(ctx context.Context) error {
		if tried {
			if got, active, err := f.activeSwitch(ctx, sw.Tenant); err != nil || active && got.Renamed && got.OldDatabase == sw.OldDatabase {
				return err
			}
		}
		tried = true
		_, err := f.control.SwitchTenant(ctx, sw, steps, f.opts.Actor)
		return err
	})
}

// renameBack takes switch sw, which renamed, back, in the freeze of the
// tenant's database: sealed when its writes were counted, it takes its
// shadow's name (shadow.Name), and the database it left takes the
// tenant's name back; the control database then records it.
func (f *Fleet) renameBack(ctx context.Context, tg target, sw Switch, frozen *shadow.Frozen, watched bool, steps []control.Step, note string) error {
	srv := f.servers[sw.Server]
	aside, err := shadow.Name(sw.NewDatabase, srv.MaxNameLength())
	if err != nil {
		return err
	}
	switch taken, err := srv.Exists(ctx, aside); {
	case err != nil:
		return err
	case taken:
		return &InputError{Err: fmt.Errorf("tenant %q: %s, the name its migrated copy takes when it switches back, exists: herd cleanup drops what earlier switches left", sw.Tenant, aside)}
	}
	seal, err := f.sealLeaving(ctx, srv, frozen, watched, sw.NewDatabase, sw.NewDatabase)
	if err != nil {
		return err
	}
	renames := func(ctx context.Context) error { return frozen.SwapNames(ctx, sw.OldDatabase, aside) }
	renamed := func(ctx context.Context) (bool, error) { return srv.Exists(ctx, aside) }
	if err := f.cutOver(ctx, tg.ref, seal, renames, frozen.Release, renamed); err != nil {
		return err
	}
	back := sw
	back.OldDatabase, back.NewDatabase = sw.NewDatabase, aside
	return f.recordSwitchBack(ctx, tg.ref, back, steps, note)
}

// Unrecorded is what a cut-over by rename left that the control
// database did not record: a switch (the tenant's database took the name
// Old, its migrated copy the tenant's name) or, with Back set, the
// switch back of Back (the migrated copy took the name Aside).
type Unrecorded struct {
	Old   string  `json:"old,omitempty"`
	Back  *Switch `json:"back,omitempty"`
	Aside string  `json:"aside,omitempty"`
}

// unrecordedRenames says what the renames of a switch (or a switch back)
// by rename of tenant t left without the control database's record of
// them (a herd stopped, or a control database that failed, between the
// two commits): the name the tenant's database takes at a switch
// (shadow.OldName) bearing a sealed database (the cut-over seals it with
// the renames) that no active switch names is a switch; an active switch
// by rename whose old database no longer bears its name, and whose
// migrated copy bears the name a switch back gives it, was taken back.
// ok is false when there is neither, and always on a server whose
// tenants do not swap names.
func (f *Fleet) unrecordedRenames(ctx context.Context, t control.Tenant) (u Unrecorded, ok bool, err error) {
	srv, known := f.servers[t.Server]
	if !known || !shadow.Swaps(srv.Server) {
		return Unrecorded{}, false, nil
	}
	old, err := shadow.OldName(t.Database, srv.MaxNameLength())
	if err != nil {
		return Unrecorded{}, false, nil // no database can bear it
	}
	left, err := srv.Exists(ctx, old)
	if err != nil {
		return Unrecorded{}, false, err
	}
	sw, active, err := f.activeSwitch(ctx, t.Code)
	switch {
	case err != nil:
		return Unrecorded{}, false, err
	case left && !active:
		sealed, err := shadow.Sealed(ctx, srv.Server, srv.dialect, old)
		if err != nil || !sealed {
			return Unrecorded{}, false, err // not a cut-over's: oldName refuses it
		}
		return Unrecorded{Old: old}, true, nil
	case !left && active && sw.Renamed && sw.OldDatabase == old:
		aside, err := shadow.Name(t.Database, srv.MaxNameLength())
		if err != nil {
			return Unrecorded{}, false, err
		}
		moved, err := srv.Exists(ctx, aside)
		if err != nil || !moved {
			return Unrecorded{}, false, err
		}
		return Unrecorded{Back: &sw, Aside: aside}, true, nil
	}
	return Unrecorded{}, false, nil
}

// recordRenames records, under tenant t's lock, what unrecordedRenames
// finds, with the versions and history read from the ledgers of the
// databases. It reports whether it recorded anything.
func (f *Fleet) recordRenames(ctx context.Context, tg target, t control.Tenant) (bool, error) {
	u, ok, err := f.unrecordedRenames(ctx, t)
	switch {
	case err != nil || !ok:
		return false, err
	case u.Back != nil:
		return true, f.recordRenameBack(ctx, tg, *u.Back, u.Aside)
	}
	return true, f.recordRename(ctx, tg, t, u.Old)
}

// recordRename records the switch by rename that left tenant t's old
// database as old.
func (f *Fleet) recordRename(ctx context.Context, tg target, t control.Tenant, old string) error {
	from, _, err := f.ledgerAt(ctx, tg, old)
	if err != nil {
		return err
	}
	to, entries, err := f.ledgerAt(ctx, tg, t.Database)
	if err != nil {
		return err
	}
	note := "recorded after an interrupted switch by rename"
	var steps []control.Step
	for _, st := range f.ledgerSteps(tg, entries, from, note) {
		st.Direction = control.Up
		steps = append([]control.Step{st}, steps...) // oldest first
	}
	sw := control.Switch{Tenant: t.Code, Server: t.Server, OldDatabase: old, NewDatabase: t.Database,
		FromVersion: control.Version(from), ToVersion: control.Version(to), SwitchedAt: f.opts.Now(), Renamed: true}
	if err := f.recordSwitch(ctx, tg.ref, sw, steps); err != nil {
		return err
	}
	return f.control.Audit(ctx, f.opts.Actor, "repair", tg.ref.String(), fmt.Sprintf("%s: %s -> %s (v%s)", note, old, t.Database, sw.ToVersion))
}

// recordRenameBack records that switch sw, by rename, was taken back:
// its migrated copy now bears the name aside.
func (f *Fleet) recordRenameBack(ctx context.Context, tg target, sw Switch, aside string) error {
	_, entries, err := f.ledgerAt(ctx, tg, aside)
	if err != nil {
		return err
	}
	from, err := semver.NewVersion(sw.FromVersion)
	if err != nil {
		return fmt.Errorf("switch %d: %w", sw.ID, err)
	}
	note := fmt.Sprintf("recorded after an interrupted switch back: %s renamed %s, %s renamed %s", sw.NewDatabase, aside, sw.OldDatabase, sw.NewDatabase)
	back := sw
	back.OldDatabase, back.NewDatabase = sw.NewDatabase, aside
	return f.control.SwitchBack(ctx, back, f.ledgerSteps(tg, entries, from, note), note, f.opts.Actor)
}

// ledgerAt reads the ledger of database name on tg's server, and the
// version it puts the database at.
func (f *Fleet) ledgerAt(ctx context.Context, tg target, name string) (*semver.Version, []execute.Entry, error) {
	db, err := tg.srv.Open(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	entries, err := execute.ReadLedger(ctx, tg.dialect, db, execute.DefaultLedgerTable)
	if err != nil {
		return nil, nil, err
	}
	return plan.Current(f.src.Migrations(tg.kind), execute.Applied(entries)), entries, nil
}

// settleRenames records, under the tenant's lock, what a switch or
// switch back by rename of tenant code left unrecorded (recordRenames),
// when its server's tenants swap names and the name its database takes
// at a switch is in use or its active switch renamed.
func (f *Fleet) settleRenames(ctx context.Context, code string) error {
	t, srv, err := f.shadowTenant(ctx, code)
	if err != nil || !shadow.Swaps(srv.Server) {
		return err
	}
	tg, err := f.tenantTarget(t)
	if err != nil {
		return err
	}
	return f.session(ctx, tg, func(*execute.Session) error {
		_, err := f.recordRenames(ctx, tg, t)
		return err
	})
}
