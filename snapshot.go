package herd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/snapshot"
)

// snapshotter returns the tenant's server as a dialect.Snapshotter.
func (f *Fleet) snapshotter(t control.Tenant) (dialect.Snapshotter, error) {
	srv, ok := f.servers[t.Server]
	if !ok {
		return nil, &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", t.Code, t.Server)}
	}
	sn, ok := srv.Server.(dialect.Snapshotter)
	if !ok {
		return nil, fmt.Errorf("server %q (%s) cannot take snapshots", t.Server, srv.dialect.Name())
	}
	return sn, nil
}

// SnapshotLimits lists what in tenant code's database a snapshot could
// not take along (see dialect.CopyLimiter): a rollout that takes rollback
// points would fail on the tenant with "snapshot failed", and herd plan
// warns beforehand. It is empty where the engine copies a tenant whole,
// and when herd.yaml takes no snapshots (rollout.snapshots: never).
func (f *Fleet) SnapshotLimits(ctx context.Context, code string) ([]string, error) {
	if f.cfg.Rollout.Snapshots == config.SnapshotsNever {
		return nil, nil
	}
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return nil, err
	}
	sn, err := f.snapshotter(t)
	if err != nil {
		return nil, err
	}
	limiter, ok := sn.(dialect.CopyLimiter)
	if !ok {
		return nil, nil
	}
	return limiter.CopyLimits(ctx, t.Database)
}

// snapshotName names a snapshot of database: short enough for every
// engine's limit, unique per database and instant.
func snapshotName(database string, at time.Time) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s@%d", database, at.UnixNano())))
	return "herd_snap_" + hex.EncodeToString(sum[:8])
}

// TakeSnapshot copies the tenant's database, under its migration lock, into
// a rollback point at the version its ledger records, and registers it.
// rollout is the rollout it is taken for (0 for none). It then drops the
// tenant's snapshots that the configured retention no longer keeps
// (rollout.snapshots.retain); a failure there is logged, not returned.
func (f *Fleet) TakeSnapshot(ctx context.Context, code string, rollout int64) (control.Snapshot, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return control.Snapshot{}, err
	}
	sn, err := f.snapshotter(t)
	if err != nil {
		return control.Snapshot{}, err
	}
	tg, err := f.resolve(ctx, control.TenantRef(code))
	if err != nil {
		return control.Snapshot{}, err
	}
	now := f.opts.Now()
	record := control.Snapshot{Tenant: code, Server: t.Server, Database: t.Database, Name: snapshotName(t.Database, now),
		Rollout: rollout, CreatedAt: now}
	err = f.session(ctx, tg, func(s *execute.Session) error {
		entries, err := s.Ledger(ctx)
		if err != nil {
			return err
		}
		record.Version = control.Version(plan.Current(f.src.Migrations(tg.kind), execute.Applied(entries)))
		return sn.Snapshot(ctx, t.Database, record.Name)
	})
	if err != nil {
		return control.Snapshot{}, fmt.Errorf("snapshot tenant %q: %w", code, err)
	}
	if record.ID, err = f.control.AddSnapshot(ctx, record); err != nil {
		return control.Snapshot{}, err
	}
	if err := f.control.Audit(ctx, f.opts.Actor, "snapshot.take", code, record.Name+" at v"+record.Version); err != nil {
		return control.Snapshot{}, err
	}
	f.emit(tg.ref, event.Event{Type: event.SnapshotTaken, Time: now.UTC(), Rollout: rollout, To: record.Version, Snapshot: record.Name})
	// The snapshot is taken: failing to drop older ones must not fail the
	// tenant's migration. The next prune, or herd snapshot drop --expired,
	// tries again.
	if _, err := f.applyRetention(ctx, code, f.cfg.Rollout.SnapshotRetention); err != nil {
		f.opts.Logger.Warn("snapshot retention", "tenant", code, "err", err)
	}
	return record, nil
}

// IrreversibleStep returns the ID of the first migration on the tenant's
// path to version to (as its ledger reads now) that has no down migration
// for the tenant's engine, or "" when every step has one, so that down
// migrations could take the tenant back. It writes nothing.
func (f *Fleet) IrreversibleStep(ctx context.Context, code, to string) (string, error) {
	ref := control.TenantRef(code)
	tg, err := f.resolve(ctx, ref)
	if err != nil {
		return "", err
	}
	p, err := f.Plan(ctx, ref, to)
	if err != nil {
		return "", err
	}
	for _, st := range p.Steps {
		if st.Direction == plan.Up && !st.Migration.Reversible(tg.dialect.Name()) {
			return st.Migration.ID(), nil
		}
	}
	return "", nil
}

// Restore takes the tenant back to version to: by switching back to the
// database a shadow migration from to left (refused when the tenant was
// written since the switch), else through its down migrations where every
// step has one, otherwise by restoring its newest snapshot at that
// version and verifying the result (schema and a checksum per table
// against the snapshot). With none, it refuses. It returns how it went
// back. A restore discards the writes made since the snapshot.
func (f *Fleet) Restore(ctx context.Context, code, to string) (how string, err error) {
	ref := control.TenantRef(code)
	version, err := f.resolveTarget(ref.Type, to)
	if err != nil {
		return "", err
	}
	if how, switched, err := f.switchBack(ctx, code, version, false); switched || err != nil {
		return how, err
	}
	return f.restoreDown(ctx, code, to, version)
}

// restoreDown takes the tenant back to version (to as the caller gave
// it) through its down migrations, else by restoring its newest snapshot
// at version; see Restore.
func (f *Fleet) restoreDown(ctx context.Context, code, to string, version *semver.Version) (how string, err error) {
	ref := control.TenantRef(code)
	err = f.RollBack(ctx, ref, to)
	var refused *plan.RefusedError
	if !errors.As(err, &refused) || refused.Reason != plan.DownMissing {
		return DownMigrations, err
	}
	record, serr := f.control.LatestSnapshot(ctx, code, version.String())
	if errors.Is(serr, control.ErrNoSnapshot) {
		return "", &InputError{Err: fmt.Errorf("roll back tenant %q: %w, and it has no snapshot at v%s", code, err, version)}
	}
	if serr != nil {
		return "", serr
	}
	if err := f.restoreSnapshot(ctx, record); err != nil {
		return "", fmt.Errorf("roll back tenant %q from snapshot %s: %w", code, record.Name, err)
	}
	return "snapshot " + record.Name, nil
}

// restoreSnapshot restores a snapshot over its tenant's database under the
// tenant's lock, verifies it, records it, and brings the control database
// in line with the restored ledger.
func (f *Fleet) restoreSnapshot(ctx context.Context, record control.Snapshot) error {
	t, err := f.control.Tenant(ctx, record.Tenant)
	if err != nil {
		return err
	}
	sn, err := f.snapshotter(t)
	if err != nil {
		return err
	}
	tg, err := f.resolve(ctx, control.TenantRef(t.Code))
	if err != nil {
		return err
	}
	if err := f.session(ctx, tg, func(*execute.Session) error {
		return sn.Restore(ctx, record.Name, t.Database)
	}); err != nil {
		return err
	}
	if err := f.verifySnapshot(ctx, t, record); err != nil {
		return err
	}
	if err := f.control.MarkRestored(ctx, record.ID); err != nil {
		return err
	}
	if err := f.control.Audit(ctx, f.opts.Actor, "snapshot.restore", t.Code, record.Name+" at v"+record.Version); err != nil {
		return err
	}
	f.emit(tg.ref, event.Event{Type: event.SnapshotRestored, Time: f.opts.Now().UTC(), To: record.Version, Snapshot: record.Name})
	// The restored ledger is the truth: the history records the
	// migrations the restore undid as such, and the version follows.
	entries, err := readLedger(ctx, tg)
	if err != nil {
		return err
	}
	if err := f.reconcile(ctx, tg, entries, "undone by restoring snapshot "+record.Name+"; no down migration ran"); err != nil {
		return err
	}
	return f.Migrate(ctx, control.TenantRef(t.Code), "v"+record.Version)
}

// verifySnapshot compares the tenant's database with its snapshot: the
// engine's own schema dumps, then every table's schema, row count and
// checksum.
func (f *Fleet) verifySnapshot(ctx context.Context, t control.Tenant, record control.Snapshot) error {
	srv := f.servers[t.Server]
	if dumper, ok := srv.Server.(dialect.SchemaDumper); ok {
		live, err := dumper.SchemaDump(ctx, t.Database)
		if err != nil {
			return fmt.Errorf("verify restore: %w", err)
		}
		copied, err := dumper.SchemaDump(ctx, record.Name)
		if err != nil {
			return fmt.Errorf("verify restore: %w", err)
		}
		if err := snapshot.CompareDumps(t.Database, live, record.Name, copied); err != nil {
			return fmt.Errorf("verify restore: %w", err)
		}
	}
	live, err := srv.Open(ctx, t.Database)
	if err != nil {
		return err
	}
	defer live.Close()
	copyDB, err := srv.Open(ctx, record.Name)
	if err != nil {
		return err
	}
	defer copyDB.Close()
	if err := snapshot.Verify(ctx, srv.dialect, live, copyDB); err != nil {
		return fmt.Errorf("verify restore: %w", err)
	}
	return nil
}
