package herd

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/drift"
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
	registered := map[string]bool{}
	for _, t := range tenants {
		registered[t.Code] = true
	}
	var out []Problem
	for code := range f.cfg.Customisations.Tenants {
		if !registered[code] {
			out = append(out, Problem{File: f.cfg.Path, Line: f.cfg.Customisations.TenantLines[code],
				Msg: fmt.Sprintf("customisations.tenants.%s: no tenant %s is registered, so its rules allow nothing", code, code)})
		}
	}
	slices.SortFunc(out, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return out, nil
}
