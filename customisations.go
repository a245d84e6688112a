package herd

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/source"
)

// AdoptionRules returns the customisation rules that would allow each
// drift difference of d, for herd.yaml's customisations.tenants (see
// config.AddTenantCustomisations): one rule per difference, naming its
// object exactly ({column: students.house_colour}; a missing or extra
// table by {table: NAME}), in d's order, without repeats. Differences
// that a rule already allows are left out, so a tenant without drift
// gets none.
func AdoptionRules(d TenantDrift) []config.Customisation {
	var out []config.Customisation
	for _, diff := range d.Differences {
		if !diff.Drift() {
			continue
		}
		r := drift.ExactRule(diff)
		c := config.Customisation{Object: string(r.Object), Pattern: r.Pattern, Scope: "tenant " + d.Tenant}
		if !slices.ContainsFunc(out, func(x config.Customisation) bool { return x.Object == c.Object && x.Pattern == c.Pattern }) {
			out = append(out, c)
		}
	}
	return out
}

// UnregisteredCustomisations returns a problem at herd.yaml's line for
// each tenant of customisations.tenants that the control database does
// not register (a tenant removed, or a code mistyped), in line order:
// its rules allow nothing. It fails when the registry cannot be read.
func (f *Fleet) UnregisteredCustomisations(ctx context.Context) ([]Problem, error) {
	tenants, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	return unregistered(f.cfg, tenants), nil
}

// LintRegistry checks cfg's customisations.tenants against the registry
// of its control database, as UnregisteredCustomisations does, for herd
// lint --registry, and returns how many tenants it checked. It reads the
// registry without creating or migrating anything (control.AttachDSN), so
// the control database must exist at control schema
// control.AttachVersion or later; with no customisations.tenants it opens
// nothing. Every tenant not registered is in the one input error it
// returns, at its herd.yaml line.
func LintRegistry(ctx context.Context, cfg *config.Config, dialects []Dialect) (checked int, err error) {
	if len(cfg.Customisations.Tenants) == 0 {
		return 0, nil
	}
	d, err := dialectFor(dialects, cfg.Control)
	if err != nil {
		return 0, err
	}
	reader, closeDB, err := control.AttachDSN(ctx, d, cfg.Control)
	if err != nil {
		return 0, err
	}
	defer closeDB() //nolint:errcheck // read only: nothing to lose
	tenants, err := reader.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	if problems := unregistered(cfg, tenants); len(problems) > 0 {
		return len(cfg.Customisations.Tenants), &InputError{Err: fmt.Errorf("%d of customisations.tenants not registered:\n%w",
			len(problems), &source.Error{Problems: problems})}
	}
	return len(cfg.Customisations.Tenants), nil
}

// unregistered returns a problem for each tenant of cfg's
// customisations.tenants that is not among tenants, in line order.
func unregistered(cfg *config.Config, tenants []control.Tenant) []Problem {
	registered := map[string]bool{}
	for _, t := range tenants {
		registered[t.Code] = true
	}
	var out []Problem
	for code := range cfg.Customisations.Tenants {
		if !registered[code] {
			out = append(out, Problem{File: cfg.Path, Line: cfg.Customisations.TenantLines[code],
				Msg: fmt.Sprintf("customisations.tenants.%s: no tenant %s is registered, so its rules allow nothing", code, code)})
		}
	}
	slices.SortFunc(out, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return out
}
