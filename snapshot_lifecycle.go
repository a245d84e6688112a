package herd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// Snapshots returns the kept snapshots, oldest first: every tenant's when
// tenant is "", else those of tenant (which may have been removed since).
func (f *Fleet) Snapshots(ctx context.Context, tenant string) ([]control.Snapshot, error) {
	if tenant != "" {
		if err := ValidateTenantCode(tenant); err != nil {
			return nil, err
		}
	}
	return f.control.Snapshots(ctx, tenant)
}

// DropSnapshot drops kept snapshot id: the copy on its server (database,
// schema or file), then its record, with an entry in the audit log. It
// returns an *InputError for an unknown id or a server herd.yaml no
// longer declares; when the copy cannot be dropped, the record stays.
func (f *Fleet) DropSnapshot(ctx context.Context, id int64) (control.Snapshot, error) {
	sn, err := f.control.Snapshot(ctx, id)
	if errors.Is(err, control.ErrNoSnapshot) {
		return control.Snapshot{}, &InputError{Err: err}
	}
	if err != nil {
		return control.Snapshot{}, err
	}
	return sn, f.dropSnapshot(ctx, sn, "dropped by id")
}

// SnapshotsOlderThan returns the kept snapshots, of tenant alone unless
// tenant is "", taken more than age ago by the fleet's clock.
func (f *Fleet) SnapshotsOlderThan(ctx context.Context, tenant string, age time.Duration) ([]control.Snapshot, error) {
	sns, err := f.Snapshots(ctx, tenant)
	if err != nil {
		return nil, err
	}
	cutoff := f.opts.Now().Add(-age)
	return slices.DeleteFunc(sns, func(sn control.Snapshot) bool { return !sn.CreatedAt.Before(cutoff) }), nil
}

// SnapshotRetention is how many snapshots, and for how long, herd.yaml
// keeps per tenant (rollout.snapshots.retain): what ExpiredSnapshots and
// PruneSnapshots apply for the CLI.
func (f *Fleet) SnapshotRetention() config.Retention { return f.cfg.Rollout.SnapshotRetention }

// ExpiredSnapshots returns the kept snapshots, of tenant alone unless
// tenant is "", that retain no longer keeps: per tenant, those beyond its
// newest retain.Count and those older than retain.Age by the fleet's
// clock. Snapshots on servers that herd.yaml no longer declares are left
// out, as herd cannot drop them.
func (f *Fleet) ExpiredSnapshots(ctx context.Context, tenant string, retain config.Retention) ([]control.Snapshot, error) {
	sns, err := f.Snapshots(ctx, tenant)
	if err != nil {
		return nil, err
	}
	// Newest first within each tenant, so that a snapshot's rank is its
	// index among its tenant's.
	slices.SortStableFunc(sns, func(a, b control.Snapshot) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	now := f.opts.Now()
	var expired []control.Snapshot
	rank := 0
	for i, sn := range sns {
		if i == 0 || sns[i-1].Tenant != sn.Tenant {
			rank = 0
		}
		if _, declared := f.snapshotServer(sn); declared && !retain.Keeps(rank, now.Sub(sn.CreatedAt)) {
			expired = append(expired, sn)
		}
		rank++
	}
	slices.SortFunc(expired, func(a, b control.Snapshot) int { return cmp.Compare(a.ID, b.ID) })
	return expired, nil
}

// DropSnapshots drops each of sns as DropSnapshot does, giving reason in
// the audit log. It stops at the first failure and returns how many it
// dropped.
func (f *Fleet) DropSnapshots(ctx context.Context, sns []control.Snapshot, reason string) (int, error) {
	for i, sn := range sns {
		if err := f.dropSnapshot(ctx, sn, reason); err != nil {
			return i, err
		}
	}
	return len(sns), nil
}

// PruneSnapshots drops every tenant's snapshots that retain no longer
// keeps (see ExpiredSnapshots) and returns how many it dropped. The zero
// Retention keeps every snapshot.
func (f *Fleet) PruneSnapshots(ctx context.Context, retain config.Retention) (int, error) {
	return f.applyRetention(ctx, "", retain)
}

// applyRetention is PruneSnapshots for one tenant, or every tenant when
// tenant is "".
func (f *Fleet) applyRetention(ctx context.Context, tenant string, retain config.Retention) (int, error) {
	if retain == (config.Retention{}) {
		return 0, nil
	}
	expired, err := f.ExpiredSnapshots(ctx, tenant, retain)
	if err != nil {
		return 0, err
	}
	return f.DropSnapshots(ctx, expired, "retention "+retain.String())
}

// dropSnapshot drops the copy of sn on its server, then its record.
func (f *Fleet) dropSnapshot(ctx context.Context, sn control.Snapshot, reason string) error {
	srv, ok := f.snapshotServer(sn)
	if !ok {
		return &InputError{Err: fmt.Errorf("drop snapshot %d of tenant %q: it is on server %q, which herd.yaml does not declare", sn.ID, sn.Tenant, sn.Server)}
	}
	if err := srv.Drop(ctx, sn.Name); err != nil {
		return fmt.Errorf("drop snapshot %d (%s) of tenant %q: %w", sn.ID, sn.Name, sn.Tenant, err)
	}
	detail := fmt.Sprintf("%s at v%s (id %d) on server %s: %s", sn.Name, sn.Version, sn.ID, sn.Server, reason)
	return f.control.DeleteSnapshot(ctx, sn, f.opts.Actor, detail)
}

// snapshotServer returns the server sn is on, if herd.yaml declares it.
func (f *Fleet) snapshotServer(sn control.Snapshot) (server, bool) {
	srv, ok := f.servers[sn.Server]
	return srv, ok && sn.Server != "" // "" is the control database's
}
