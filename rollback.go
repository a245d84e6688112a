package herd

import (
	"context"
	"errors"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/source"
)

// RollbackRequest is an emergency rollback of tenants to a version.
type RollbackRequest struct {
	// To is the version (or release) to take the tenants back to.
	To string
	// Tenant names one tenant; Rollout, the tenants a rollout migrated
	// (those it did not skip or leave pending). With neither, every
	// registered tenant goes back.
	Tenant  string
	Rollout int64
	// FromSnapshot restores each tenant's newest snapshot at To, whether
	// or not down migrations exist (see RestoreSnapshot); otherwise each
	// goes back as Restore takes it.
	FromSnapshot bool
	// DiscardWrites lets a tenant that a shadow migration switched from
	// To switch back although its new database was written since (those
	// writes are lost). Such a tenant goes back by switching, before any
	// other way.
	DiscardWrites bool
}

// RolledBack is one tenant's outcome of RollbackTenants.
type RolledBack struct {
	Tenant string
	// How says how the tenant went back (DownMigrations or the snapshot
	// restored); Err why it did not.
	How string
	Err error
	// Rewrites are, for a tenant taken back by its down migrations, the
	// updates whose rows its triggers may have rewritten (see Rewrites);
	// RewritesErr says why they could not be read.
	Rewrites    []Rewrite
	RewritesErr error
}

// RollbackTenants takes the tenants req names back to req.To, one after
// the other, and hands each outcome to each as it is known. It goes on
// past a tenant's failure and returns every tenant's error, joined; an
// unknown tenant or rollout is an input error and changes nothing.
func (f *Fleet) RollbackTenants(ctx context.Context, req RollbackRequest, each func(RolledBack)) error {
	codes, err := f.rollbackTargets(ctx, req)
	if err != nil {
		return err
	}
	version, err := f.resolveTarget(source.Tenant, req.To)
	if err != nil {
		return err
	}
	var errs []error
	for _, code := range codes {
		out := f.rollbackTenant(ctx, code, req, version)
		each(out)
		errs = append(errs, out.Err)
	}
	return errors.Join(errs...)
}

// rollbackTenant takes tenant code back to version, req.To, as
// RollbackTenants says.
func (f *Fleet) rollbackTenant(ctx context.Context, code string, req RollbackRequest, version *semver.Version) RolledBack {
	out := RolledBack{Tenant: code}
	var switched bool
	out.How, switched, out.Err = f.switchBack(ctx, code, version, req.DiscardWrites)
	switch {
	case switched || out.Err != nil:
		// A shadow switch from To went back by switching, or could not.
	case req.FromSnapshot:
		out.How, out.Err = f.RestoreSnapshot(ctx, code, req.To)
	default:
		// Read before the down migrations run: they may drop the
		// tables.
		rewrites, rerr := f.Rewrites(ctx, code, req.To)
		out.How, out.Err = f.restoreDown(ctx, code, req.To, version)
		if out.Err == nil && out.How == DownMigrations {
			out.Rewrites, out.RewritesErr = rewrites, rerr
		}
	}
	if out.Err != nil {
		out.How = ""
	}
	return out
}

// rollbackTargets lists the codes of the tenants req names.
func (f *Fleet) rollbackTargets(ctx context.Context, req RollbackRequest) ([]string, error) {
	switch {
	case req.Tenant != "":
		if err := ValidateTenantCode(req.Tenant); err != nil {
			return nil, err
		}
		if _, err := f.control.Tenant(ctx, req.Tenant); err != nil {
			return nil, err
		}
		return []string{req.Tenant}, nil
	case req.Rollout != 0:
		if _, err := f.control.Rollout(ctx, req.Rollout); err != nil {
			return nil, err
		}
		items, err := f.control.Items(ctx, req.Rollout)
		if err != nil {
			return nil, err
		}
		var codes []string
		for _, it := range items {
			if it.State != control.ItemSkipped && it.State != control.ItemPending {
				codes = append(codes, it.Tenant)
			}
		}
		return codes, nil
	}
	ts, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, len(ts))
	for i, t := range ts {
		codes[i] = t.Code
	}
	return codes, nil
}
