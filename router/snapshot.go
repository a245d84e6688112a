package router

import (
	"context"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/shadow"
	"github.com/herdhq/herd/source"
)

// snapshot is what a router answers from: every tenant's target and the
// flags snapshot, as the control database held them at generation. It is
// immutable once loaded.
type snapshot struct {
	generation int64
	targets    map[string]entry
	flags      *flags.Snapshot
}

// entry is one tenant's target. serverMissing marks a tenant registered on
// a server that herd.yaml does not declare: its target has no engine or
// DSN, and Resolve refuses it.
type entry struct {
	target        Target
	serverMissing bool
	// frozenUntil is until when the tenant's writes are frozen; zero
	// when they are not.
	frozenUntil time.Time
	// movingTo is the database a frozen tenant moves to at its switch
	// (Target.MovingTo).
	movingTo string
}

// load reads the tenant registry, the tenants' version rows, their write
// freezes and the flag overrides (four queries) and builds the snapshot
// of generation gen.
func load(ctx context.Context, store *control.Reader, gen int64, cfg *config.Config, servers map[string]server) (*snapshot, error) {
	tenants, err := store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := store.Versions(ctx)
	if err != nil {
		return nil, err
	}
	overrides, err := store.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	frozen, err := store.WriteFreezes(ctx)
	if err != nil {
		return nil, err
	}
	states := make(map[string]control.VersionState, len(versions))
	for _, v := range versions {
		if v.Type == source.Tenant {
			states[v.Identifier] = v
		}
	}
	s := &snapshot{generation: gen, targets: make(map[string]entry, len(tenants))}
	flagTenants := make([]flags.Tenant, 0, len(tenants))
	for _, t := range tenants {
		state := states[t.Code]
		var version *semver.Version
		if state.CurrentVersion != "" {
			if version, err = source.ParseVersion(state.CurrentVersion); err != nil {
				return nil, fmt.Errorf("tenant %q: current version: %w", t.Code, err)
			}
		}
		e := entry{target: Target{
			Code:    t.Code,
			Name:    t.Name,
			Tier:    t.Tier,
			Server:  t.Server,
			Version: version,
			Status:  state.Status,
			Release: releaseOf(cfg.Releases, version),
		}, frozenUntil: frozen[t.Code]}
		if srv, ok := servers[t.Server]; ok {
			e.target.Engine, e.target.DSN = srv.dialect.Name(), srv.cfg.DSN
			if dialect.Tenancy(srv.cfg.Tenancy) == dialect.SchemaPerTenant {
				e.target.Schema = t.Database
			} else {
				e.target.Database = t.Database
			}
			if !e.frozenUntil.IsZero() && !shadow.Swaps(srv.conn) {
				// A name the engine cannot hold has no shadow: none to warm.
				e.movingTo, _ = shadow.Name(t.Database, srv.conn.MaxNameLength())
			}
		} else {
			e.serverMissing = true
			e.target.Database = t.Database
		}
		s.targets[t.Code] = e
		flagTenants = append(flagTenants, flags.Tenant{Code: t.Code, Tier: t.Tier, Version: version})
	}
	s.flags = flags.NewSnapshot(cfg.Flags, flagTenants, overrides)
	return s, nil
}

// releaseOf names the latest release whose tenant schema version is v; ""
// when v is nil or no release brings tenants to it. releases are in
// semver precedence order, as config keeps them.
func releaseOf(releases []config.Release, v *semver.Version) string {
	if v == nil {
		return ""
	}
	for i := len(releases) - 1; i >= 0; i-- {
		if r := releases[i]; r.Tenant != nil && r.Tenant.Equal(v) {
			return r.Name
		}
	}
	return ""
}
