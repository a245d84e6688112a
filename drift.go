package herd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// TenantDrift is a tenant's drift check: the version its live schema was
// compared at, a summary, and every difference from the reference schema
// of that version, each a customisation (allowed by a rule of herd.yaml's
// customisations) or drift.
type TenantDrift = control.Drift

// Difference is one difference of a TenantDrift.
type Difference = drift.Difference

// DriftState sums up a drift check: DriftNone, DriftCustomised or
// DriftDrifted.
type DriftState = drift.State

// The drift states.
const (
	DriftNone       = drift.None
	DriftCustomised = drift.Customised
	DriftDrifted    = drift.Drifted
)

// herdTablePrefix starts the names of herd's own tables in a tenant (its
// ledger, its owner table, a shadow migration's capture table), which are
// never drift.
const herdTablePrefix = "herd_"

// Drift compares tenant code's live schema with the reference schema of
// the version the control database records for it: what the tenant
// migrations on the path to that version produce, built on a scratch
// database of the tenant's server (dropped afterwards) the first time it
// is needed and kept in the control database, keyed by engine, version
// and a digest of the path's migrations, so that a changed migration
// builds it again. It classifies each difference by herd.yaml's
// customisations, records the result in the control database, and
// returns it. herd's own tables are left out. An unknown tenant, or one
// never migrated, is an input error. It sends DriftChecked or DriftFailed
// to Options.Events.
func (f *Fleet) Drift(ctx context.Context, code string) (TenantDrift, error) {
	t, version, err := f.migratedTenant(ctx, code)
	if err != nil {
		return TenantDrift{}, err
	}
	return f.drift(ctx, t, version)
}

// migratedTenant returns tenant code and the version it is at. An unknown
// tenant, or one never migrated, is an input error.
func (f *Fleet) migratedTenant(ctx context.Context, code string) (control.Tenant, string, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return t, "", err
	}
	v, ok, err := f.control.Version(ctx, control.TenantRef(code))
	if err != nil {
		return t, "", err
	}
	if !ok || v.CurrentVersion == "" {
		return t, "", &InputError{Err: fmt.Errorf("tenant %q was never migrated: it has no version to compare with", code)}
	}
	return t, v.CurrentVersion, nil
}

// drift checks tenant t, at version, and records the result.
func (f *Fleet) drift(ctx context.Context, t control.Tenant, version string) (TenantDrift, error) {
	ref := control.TenantRef(t.Code)
	start := f.opts.Now()
	d, _, _, err := f.compare(ctx, t, version)
	if err == nil {
		err = f.control.SetDrift(ctx, d)
	}
	if err != nil {
		f.emit(ref, event.Event{Type: event.DriftFailed, Time: f.opts.Now(), Reason: err.Error()})
		return TenantDrift{}, fmt.Errorf("drift of tenant %q: %w", t.Code, err)
	}
	f.emit(ref, event.Event{Type: event.DriftChecked, Time: d.CheckedAt, To: d.Version, Reason: summary(d.Summary),
		Duration: f.opts.Now().Sub(start)})
	return d, nil
}

// summary sums up s in words, as DriftChecked's reason.
func summary(s drift.Summary) string {
	var parts []string
	if s.Drifted > 0 {
		parts = append(parts, fmt.Sprintf("drifted: %d", s.Drifted))
	}
	if s.Customised > 0 {
		parts = append(parts, fmt.Sprintf("customised: %d", s.Customised))
	}
	if len(parts) == 0 {
		return string(drift.None)
	}
	return strings.Join(parts, ", ")
}

// compare inspects tenant t and compares it with the reference of
// version, the one it is at; it returns the result with both schemas.
func (f *Fleet) compare(ctx context.Context, t control.Tenant, version string) (d TenantDrift, reference, live drift.Schema, err error) {
	srv, ok := f.servers[t.Server]
	if !ok {
		return d, reference, live, &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", t.Code, t.Server)}
	}
	reference, err = f.reference(ctx, srv, version)
	if err != nil {
		return d, reference, live, err
	}
	db, err := srv.Open(ctx, t.Database)
	if err != nil {
		return d, reference, live, err
	}
	defer f.warn(control.TenantRef(t.Code), "close the connection", db.Close)
	live, err = inspect(ctx, srv.dialect, db.DB, db)
	if err != nil {
		return d, reference, live, err
	}
	diffs := drift.Classify(drift.Compare(reference, live), f.rules(t))
	return TenantDrift{Tenant: t.Code, Version: version, Summary: drift.Summarise(diffs),
		CheckedAt: f.opts.Now().UTC().Truncate(time.Microsecond), Differences: diffs}, reference, live, nil
}

// rules are herd.yaml's customisations for tenant t.
func (f *Fleet) rules(t control.Tenant) []drift.Rule {
	var out []drift.Rule
	for _, c := range f.cfg.Customisations.For(t.Tier, t.Code) {
		out = append(out, ruleOf(c))
	}
	return out
}

// ruleOf is herd.yaml's customisation rule c as package drift reads it.
func ruleOf(c config.Customisation) drift.Rule {
	return drift.Rule{Object: drift.Object(c.Object), Pattern: c.Pattern, Scope: c.Scope}
}

// inspect describes db's schema through q, herd's own tables left out.
func inspect(ctx context.Context, d dialect.Dialect, q dialect.Queryer, db *dialect.Database) (drift.Schema, error) {
	ins, ok := d.(dialect.Inspector)
	if !ok {
		return drift.Schema{}, fmt.Errorf("%s cannot describe a database's schema", d.Name())
	}
	tables, err := ins.Tables(ctx, q, db)
	if err != nil {
		return drift.Schema{}, err
	}
	views, err := ins.Views(ctx, q, db)
	if err != nil {
		return drift.Schema{}, err
	}
	s := drift.Schema{Views: views}
	for _, t := range tables {
		if !strings.HasPrefix(t.Name, herdTablePrefix) {
			s.Tables = append(s.Tables, t)
		}
	}
	return s, nil
}

// reference returns the reference schema of version on srv's engine:
// from the control database when it holds one for the path's migrations
// as they are now, else built on a scratch database of srv and recorded.
// Concurrent calls for one reference build it once.
func (f *Fleet) reference(ctx context.Context, srv server, version string) (drift.Schema, error) {
	engine := srv.dialect.Name()
	// The Fleet's migrations do not change while it is open: the path,
	// and so its digest, are worked out once per engine and version.
	return f.refs.do(engine+" "+version, func() (drift.Schema, error) {
		v, err := semver.NewVersion(version)
		if err != nil {
			return drift.Schema{}, fmt.Errorf("version %q: %w", version, err)
		}
		p, err := plan.Make(f.src, source.Tenant, nil, v, plan.Options{Engine: engine, AllowExperimental: true})
		if err != nil {
			return drift.Schema{}, fmt.Errorf("the path to %s: %w", version, err)
		}
		sum := pathSum(p, engine)
		var s drift.Schema
		stored, ok, err := f.control.Reference(ctx, engine, version, sum)
		if err != nil {
			return s, err
		}
		if ok {
			if err := json.Unmarshal(stored.Schema, &s); err != nil {
				return s, fmt.Errorf("the reference schema of %s on %s: %w", version, engine, err)
			}
			return s, nil
		}
		_, err = onScratch(ctx, srv.dialect, srv.Server, p, f.opts.Now(), func(db *dialect.Database) error {
			s, err = inspect(ctx, srv.dialect, db.DB, db)
			return err
		})
		if err != nil {
			return s, fmt.Errorf("build the reference schema of %s on %s (server %s): %w", version, engine, srv.cfg.Name, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return s, err
		}
		return s, f.control.SetReference(ctx, control.Reference{Engine: engine, Version: version, PathSum: sum, Schema: b,
			BuiltAt: f.opts.Now().UTC().Truncate(time.Microsecond)})
	})
}

// pathSum is a digest of the migrations on p as engine runs them.
func pathSum(p *plan.Plan, engine string) string {
	h := sha256.New()
	for _, s := range p.Steps {
		fmt.Fprintf(h, "%s %s\n", s.Migration.ID(), s.Migration.Checksum(engine))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DriftTenants checks the drift of the tenants sel names (see Drift), at
// most concurrency at a time (1 when less than 1), keeping to
// rollout.per_server as AnalyzeTenants does. Tenants never migrated are
// not compared: their codes are returned in unmigrated. It does not stop
// at a tenant's failure: the returned *TenantsError lists every failure.
// When ctx's graceful stop is requested (WithStop) it starts no other
// tenant, waits for those in flight, and returns an error wrapping
// ErrStopped unless a tenant failed.
func (f *Fleet) DriftTenants(ctx context.Context, sel Selection, concurrency int) (checked []TenantDrift, unmigrated []string, err error) {
	tenants, err := f.selectTenants(ctx, sel)
	if err != nil {
		return nil, nil, err
	}
	all, err := f.control.Versions(ctx)
	if err != nil {
		return nil, nil, err
	}
	versions := map[control.Ref]string{}
	for _, v := range all {
		versions[v.Ref] = v.CurrentVersion
	}
	var migrated []control.Tenant
	for _, t := range tenants {
		if versions[control.TenantRef(t.Code)] != "" {
			migrated = append(migrated, t)
		} else {
			unmigrated = append(unmigrated, t.Code)
		}
	}
	check := func(ctx context.Context, t control.Tenant) (TenantDrift, error) {
		return f.drift(ctx, t, versions[control.TenantRef(t.Code)])
	}
	checked, err = eachTenant(ctx, f, migrated, concurrency, check, func(d TenantDrift) string { return d.Tenant },
		"compared; run herd drift again to carry on")
	return checked, unmigrated, err
}

// LastDrift returns tenant code's last drift check as the control
// database recorded it, with its differences; ok is false when it was
// never checked. An unknown tenant is an input error.
func (f *Fleet) LastDrift(ctx context.Context, code string) (d TenantDrift, ok bool, err error) {
	if _, err := f.control.Tenant(ctx, code); err != nil {
		return TenantDrift{}, false, err
	}
	return f.control.Drift(ctx, code)
}
