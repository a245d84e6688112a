package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/retry"
	"github.com/herdhq/herd/shadow"
)

// Switch is a shadow migration's cut-over, as the control database
// records it (see Fleet.MigrateShadow).
type Switch = control.Switch

// Switches returns the shadow switches of tenant (every tenant's when it
// is ""), newest first.
func (f *Fleet) Switches(ctx context.Context, tenant string) ([]Switch, error) {
	return f.control.Switches(ctx, tenant)
}

// switchBack takes tenant code back to the database its newest active
// shadow switch left, when that switch came from version to: at once, in
// one control-database transaction, under the tenant's lock. Row changes
// the tenant took since the switch would be lost, so they refuse it (an
// input error that counts them) unless discard; so does a new database
// whose writes were not counted. ok is false, with nothing done, when no
// active switch came from to.
func (f *Fleet) switchBack(ctx context.Context, code string, to *semver.Version, discard bool) (how string, ok bool, err error) {
	if err := f.settleRenames(ctx, code); err != nil {
		return "", false, err
	}
	sw, active, err := f.activeSwitch(ctx, code)
	if err != nil {
		return "", false, err
	}
	if !active || sw.FromVersion != to.String() {
		return "", false, nil
	}
	srv, known := f.servers[sw.Server]
	if !known {
		return "", true, &InputError{Err: fmt.Errorf("tenant %q was switched on server %q, which herd.yaml does not declare", code, sw.Server)}
	}
	tg, err := f.resolve(ctx, control.TenantRef(code))
	if err != nil {
		return "", true, err
	}
	err = f.session(ctx, tg, func(s *execute.Session) error {
		// The database the tenant leaves is frozen while its writes are
		// counted, so that no write lands there after the count, and
		// sealed as the freeze ends, before the registry moves back, as
		// at the switch: the writes that waited, and those of routers
		// that have not refreshed, are refused there (router.Moved), never
		// lost. A herd stopped before the registry moves leaves the tenant
		// refusing writes until herd rollback runs again.
		frozen, err := f.freezeLeaving(ctx, srv, sw.NewDatabase)
		if err != nil {
			return err
		}
		defer f.warn(tg.ref, "end the freeze of "+sw.NewDatabase, frozen.Release)
		n, watched, err := shadow.Writes(ctx, srv.Server, srv.dialect, sw.NewDatabase)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("switched back from %s to %s", sw.NewDatabase, sw.OldDatabase)
		switch {
		case !watched && !discard:
			return &InputError{Err: fmt.Errorf("tenant %q: the writes to %s since the switch were not counted; --discard-writes switches back to %s (v%s) and loses any", code, sw.NewDatabase, sw.OldDatabase, sw.FromVersion)}
		case n > 0 && !discard:
			return &InputError{Err: fmt.Errorf("tenant %q: %d row changes written to %s since the switch would be lost; --discard-writes switches back to %s (v%s) anyway", code, n, sw.NewDatabase, sw.OldDatabase, sw.FromVersion)}
		case n > 0:
			note += fmt.Sprintf(", discarding %d row changes written since the switch", n)
		}
		entries, err := s.Ledger(ctx)
		if err != nil {
			return err
		}
		// The old database was sealed at the switch; it takes writes
		// again before the registry names it.
		if err := shadow.Unseal(ctx, srv.Server, srv.dialect, sw.OldDatabase); err != nil {
			return err
		}
		steps := f.ledgerSteps(tg, entries, to, note)
		if sw.Renamed {
			return f.renameBack(ctx, tg, sw, frozen, watched, steps, note)
		}
		seal, err := f.sealLeaving(ctx, srv, frozen, watched, sw.NewDatabase, sw.OldDatabase)
		if err != nil {
			return err
		}
		sealed := func(ctx context.Context) (bool, error) {
			if seal == nil {
				return true, nil // nothing to commit
			}
			return shadow.Sealed(ctx, srv.Server, srv.dialect, sw.NewDatabase)
		}
		if err := f.cutOver(ctx, tg.ref, seal, nil, frozen.Release, sealed); err != nil {
			return err
		}
		return f.recordSwitchBack(ctx, tg.ref, sw, steps, note)
	})
	if err != nil {
		return "", true, fmt.Errorf("switch tenant %q back: %w", code, err)
	}
	if sw.Renamed {
		return fmt.Sprintf("switched back: %s took the name %s again", sw.OldDatabase, sw.NewDatabase), true, nil
	}
	return "switched back to " + sw.OldDatabase, true, nil
}

// sealLeaving returns the seal of frozen, database name, which the tenant
// leaves for movedTo: nil when its writes are not watched (no capture to
// hang a seal on) or it is sealed already (a switch back that stopped
// before its record).
func (f *Fleet) sealLeaving(ctx context.Context, srv server, frozen *shadow.Frozen, watched bool, name, movedTo string) (func(context.Context) error, error) {
	if !watched {
		return nil, nil
	}
	sealed, err := shadow.Sealed(ctx, srv.Server, srv.dialect, name)
	if err != nil || sealed {
		return nil, err
	}
	return func(ctx context.Context) error { return frozen.Seal(ctx, movedTo) }, nil
}

// recordSwitchBack records that switch sw was taken back, trying again
// while the control database cannot be reached.
func (f *Fleet) recordSwitchBack(ctx context.Context, ref control.Ref, sw Switch, steps []control.Step, note string) error {
	err := retry.Do(context.WithoutCancel(ctx), f.reconnect(ref, "record the switch back"), func(ctx context.Context) error {
		err := f.control.SwitchBack(ctx, sw, steps, note, f.opts.Actor)
		if errors.Is(err, control.ErrMoved) && f.switchedBack(ctx, sw) {
			return nil // a try whose answer was lost committed
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("tenant %q switched back in its database, but the control database did not record it (herd rollback again records it): %w",
			sw.Tenant, err)
	}
	return nil
}

// switchedBack reports whether switch sw is recorded as taken back.
func (f *Fleet) switchedBack(ctx context.Context, sw Switch) bool {
	sws, err := f.control.Switches(ctx, sw.Tenant)
	return err == nil && slices.ContainsFunc(sws, func(s Switch) bool { return s.ID == sw.ID && s.State == control.SwitchUndone })
}

// freezeLeaving freezes the writes to database name on srv, which a
// tenant switches back from, in tries of shadow.freeze_timeout each, as a
// shadow migration's cut-over does.
func (f *Fleet) freezeLeaving(ctx context.Context, srv server, name string) (*shadow.Frozen, error) {
	cfg := f.cfg.Shadow
	for try := 0; ; try++ {
		frozen, err := shadow.FreezeDatabase(ctx, srv.Server, srv.dialect, name, cfg.FreezeTimeout)
		if err == nil || !errors.Is(err, shadow.ErrFreezeTimeout) || try >= cfg.FreezeRetries {
			return frozen, err
		}
		if err := retry.Sleep(ctx, cfg.FreezeTimeout); err != nil {
			return nil, err
		}
	}
}

// ledgerSteps are the history rows of a switch back: the migrations
// the ledger entries hold applied above version to (every one when to is
// nil), newest first, going down, each with note.
func (f *Fleet) ledgerSteps(tg target, entries []execute.Entry, to *semver.Version, note string) []control.Step {
	now := f.opts.Now()
	var steps []control.Step
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		m := f.src.Find(tg.kind, e.ID)
		if e.State != execute.StateApplied || m == nil || to != nil && !m.Version.GreaterThan(to) {
			continue
		}
		steps = append(steps, control.Step{Migration: m.ID(), Version: m.Version.String(), Kind: string(m.Kind),
			Direction: control.Down, Checksum: m.Checksum(tg.dialect.Name()), Started: now, Note: note, Chunked: m.Chunk != nil})
	}
	return steps
}

// ShadowRetain is how long herd cleanup keeps what shadow switches left,
// by default (herd.yaml's shadow.retain).
func (f *Fleet) ShadowRetain() time.Duration { return f.cfg.Shadow.Retain }

// Cleanup is a database a shadow switch made redundant: the old database
// of an active switch (its rollback point), or the new database of one
// taken back.
type Cleanup struct {
	Switch Switch `json:"switch"`
	// Database is the database to drop.
	Database string `json:"database"`
	// Dropped reports that CleanupSwitches dropped it.
	Dropped bool `json:"dropped"`
}

// CleanupSwitches returns the databases shadow switches made redundant
// that are older than olderThan (an active switch by when it switched,
// one taken back by when it was), and with drop drops each one, records
// it in the control database and the audit log, and stops counting the
// writes of the tenant's database: it can no longer switch back. A
// database the tenant is on is never dropped.
func (f *Fleet) CleanupSwitches(ctx context.Context, olderThan time.Duration, drop bool) ([]Cleanup, error) {
	sws, err := f.control.Switches(ctx, "")
	if err != nil {
		return nil, err
	}
	cutoff := f.opts.Now().Add(-olderThan)
	var out []Cleanup
	for _, sw := range sws {
		c := Cleanup{Switch: sw}
		switch {
		case sw.State == control.SwitchActive && sw.SwitchedAt.Before(cutoff):
			c.Database = sw.OldDatabase
		case sw.State == control.SwitchUndone && sw.EndedAt != nil && sw.EndedAt.Before(cutoff):
			c.Database = sw.NewDatabase
		default:
			continue
		}
		if drop {
			if err := f.dropSwitched(ctx, c); err != nil {
				return out, err
			}
			c.Dropped = true
		}
		out = append(out, c)
	}
	return out, nil
}

// dropSwitched drops c's database and records it.
func (f *Fleet) dropSwitched(ctx context.Context, c Cleanup) error {
	sw := c.Switch
	srv, ok := f.servers[sw.Server]
	if !ok {
		return &InputError{Err: fmt.Errorf("tenant %q was switched on server %q, which herd.yaml does not declare", sw.Tenant, sw.Server)}
	}
	t, err := f.control.Tenant(ctx, sw.Tenant)
	if err != nil {
		return err
	}
	if t.Database == c.Database {
		return fmt.Errorf("cleanup: tenant %q is on %s: not dropped", sw.Tenant, c.Database)
	}
	if sw.State == control.SwitchActive {
		if err := shadow.Unwatch(ctx, srv.Server, srv.dialect, sw.NewDatabase); err != nil {
			return err
		}
	}
	if err := srv.Drop(ctx, c.Database); err != nil {
		return fmt.Errorf("cleanup: drop %s of tenant %q: %w", c.Database, sw.Tenant, err)
	}
	return f.control.CleanedSwitch(ctx, sw, c.Database, f.opts.Actor)
}

// ShadowStatus is what an interrupted shadow migration left of a tenant:
// what its server holds (see shadow.Status) and, where tenants swap
// names, a cut-over by rename the control database did not record.
type ShadowStatus struct {
	shadow.Status
	// Unrecorded, when set, is a cut-over by rename (or its switch back)
	// that committed without its record: herd repair --action
	// remove-shadow, or the tenant's next shadow migration or rollback,
	// records it.
	Unrecorded *Unrecorded `json:"unrecorded,omitempty"`
}

// LeftBehind reports whether anything of a shadow migration is there.
func (s ShadowStatus) LeftBehind() bool { return s.Status.LeftBehind() || s.Unrecorded != nil }

// ShadowLeftBehind says what an interrupted shadow migration of tenant
// code left on its server: the capture in its database, and its shadow.
// A tenant whose last switch can still be taken back has its writes
// counted by design, and none left behind.
func (f *Fleet) ShadowLeftBehind(ctx context.Context, code string) (ShadowStatus, error) {
	t, srv, err := f.shadowTenant(ctx, code)
	if err != nil {
		return ShadowStatus{}, err
	}
	switch u, ok, err := f.unrecordedRenames(ctx, t); {
	case err != nil:
		return ShadowStatus{}, err
	case ok:
		return ShadowStatus{Unrecorded: &u}, nil
	}
	if _, switched, err := f.activeSwitch(ctx, code); err != nil || switched {
		return ShadowStatus{}, err
	}
	st, err := shadow.Inspect(ctx, srv.Server, srv.dialect, t.Database)
	return ShadowStatus{Status: st}, err
}

// RemoveShadow removes, under the tenant's lock, what an interrupted
// shadow migration of tenant code left: the capture in its database (and
// the seal of a cut-over whose switch was not made) and its shadow, which
// must bear the tenant's mark; the migration's record says it was
// abandoned. A cut-over by rename that the control database did not
// record (ShadowStatus.Unrecorded) is recorded instead. It says which it
// did. A tenant whose last switch can still be taken back is refused (an
// input error).
func (f *Fleet) RemoveShadow(ctx context.Context, code string) (string, error) {
	t, srv, err := f.shadowTenant(ctx, code)
	if err != nil {
		return "", err
	}
	tg, err := f.tenantTarget(t)
	if err != nil {
		return "", err
	}
	how := "removed what an interrupted shadow migration left"
	err = f.session(ctx, tg, func(*execute.Session) error {
		if recorded, err := f.recordRenames(ctx, tg, t); err != nil || recorded {
			how = "recorded the switch by rename an interrupted shadow migration made"
			return err
		}
		if err := f.refuseSwitched(ctx, code); err != nil {
			return err
		}
		if err := shadow.Remove(ctx, srv.Server, srv.dialect, t.Database); err != nil {
			return err
		}
		if err := f.control.EndShadowRun(ctx, code, "removed by herd repair"); err != nil {
			return err
		}
		return f.control.Audit(ctx, f.opts.Actor, "repair", control.TenantRef(code).String(), how)
	})
	return how, err
}

// shadowTenant returns tenant code and its server.
func (f *Fleet) shadowTenant(ctx context.Context, code string) (control.Tenant, server, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return control.Tenant{}, server{}, err
	}
	srv, ok := f.servers[t.Server]
	if !ok {
		return control.Tenant{}, server{}, &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", code, t.Server)}
	}
	return t, srv, nil
}
