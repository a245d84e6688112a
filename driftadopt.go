package herd

import (
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
