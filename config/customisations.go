package config

import (
	"maps"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// CustomisationObjects are the kinds of object a customisation rule can
// name, as its one key.
var CustomisationObjects = []string{"table", "column", "primary_key", "index", "foreign_key", "check", "view"}

// Customisation is one rule of herd.yaml's customisations: the objects of
// one kind whose names match Pattern may differ from the reference
// schema (see package drift). A rule on tables covers everything on the
// tables it matches.
type Customisation struct {
	// Object is one of CustomisationObjects.
	Object string
	// Pattern matches the object's name ("custom_*", "students.x_*") with
	// path.Match's syntax.
	Pattern string
	// Scope says whom the rule is for: "all", "tier NAME" or "tenant
	// CODE".
	Scope string
	// Line is the rule's line in herd.yaml.
	Line int
}

// Customisations is herd.yaml's customisations: the rules for every
// tenant, for the tenants of a tier, and for one tenant.
type Customisations struct {
	All     []Customisation
	Tiers   map[string][]Customisation
	Tenants map[string][]Customisation
	// TenantLines are the lines of the tenants' keys, so that a rule
	// for a tenant the registry lacks can be reported there.
	TenantLines map[string]int
}

// customisations reads the customisations section.
func (p *parser) customisations(n *yaml.Node) Customisations {
	var c Customisations
	n = deref(n)
	if isNull(n) {
		return c
	}
	f := p.fields(n, "customisations", "all", "tiers", "tenants")
	if e, ok := f["all"]; ok {
		c.All = p.customisationRules(e.val, "customisations.all", "all")
	}
	group := func(key, scope string) (map[string][]Customisation, map[string]int) {
		e, ok := f[key]
		if !ok || isNull(deref(e.val)) {
			return nil, nil
		}
		rules, lines := map[string][]Customisation{}, map[string]int{}
		for _, g := range p.entries(e.val, "customisations."+key) {
			rules[g.key.Value] = p.customisationRules(g.val, "customisations."+key+"."+g.key.Value, scope+" "+g.key.Value)
			lines[g.key.Value] = g.key.Line
		}
		return rules, lines
	}
	c.Tiers, _ = group("tiers", "tier")
	c.Tenants, c.TenantLines = group("tenants", "tenant")
	return c
}

// customisationRules reads a list of rules, each a mapping with one key
// naming the kind of object and a pattern as its value.
func (p *parser) customisationRules(n *yaml.Node, where, scope string) []Customisation {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "%s: want a list of rules such as {table: \"custom_*\"}, got %s", where, kindName(n))
		return nil
	}
	var out []Customisation
	for _, item := range n.Content {
		item = deref(item)
		entries := p.fields(item, where, CustomisationObjects...)
		if item.Kind == yaml.MappingNode && len(item.Content) != 2 {
			p.add(item.Line, "%s: a rule has exactly one key (one of %s)", where, strings.Join(CustomisationObjects, ", "))
			continue
		}
		for _, object := range CustomisationObjects {
			e, ok := entries[object]
			if !ok {
				continue
			}
			pattern, ok := p.str(e.val, where+"."+object)
			if !ok {
				continue
			}
			if _, err := path.Match(pattern, ""); err != nil || pattern == "" {
				p.add(e.val.Line, "%s.%s: bad pattern %q (want a name with * and ? wildcards)", where, object, pattern)
				continue
			}
			if object != "table" && object != "view" && object != "primary_key" && !strings.Contains(pattern, ".") {
				p.add(e.val.Line, "%s.%s: pattern %q names no table: write TABLE.NAME, as in students.x_*", where, object, pattern)
				continue
			}
			out = append(out, Customisation{Object: object, Pattern: pattern, Scope: scope, Line: e.key.Line})
		}
	}
	return out
}

// Rules returns every rule: those for all tenants, then each tier's and
// each tenant's, tiers and tenants by name.
func (c Customisations) Rules() []Customisation {
	out := slices.Clone(c.All)
	for _, group := range []map[string][]Customisation{c.Tiers, c.Tenants} {
		for _, name := range slices.Sorted(maps.Keys(group)) {
			out = append(out, group[name]...)
		}
	}
	return out
}

// For returns the rules that apply to a tenant of tier with code: those
// for all tenants, then its tier's, then its own.
func (c Customisations) For(tier, code string) []Customisation {
	return slices.Concat(c.All, c.Tiers[tier], c.Tenants[code])
}

// OnConflict is herd.yaml's on_conflict: what herd does when a tenant's
// pending path conflicts with how its live schema differs from its
// reference (the pre-flight rehearsal fails).
type OnConflict string

// The answers to a conflict.
const (
	// ConflictRefuse fails the tenant before anything runs (the default).
	ConflictRefuse OnConflict = "refuse"
	// ConflictAdoptIdentical takes a statement that creates what the
	// tenant already holds identically as done, and refuses anything
	// else.
	ConflictAdoptIdentical OnConflict = "adopt_identical"
	// ConflictSkip runs no pre-flight: the path meets the tenant's
	// schema as it is, as before herd had one.
	ConflictSkip OnConflict = "skip"
)

// onConflict reads on_conflict.
func (p *parser) onConflict(n *yaml.Node) OnConflict {
	s, ok := p.str(n, "on_conflict")
	if !ok {
		return ConflictRefuse
	}
	switch OnConflict(s) {
	case ConflictRefuse, ConflictAdoptIdentical, ConflictSkip:
		return OnConflict(s)
	}
	p.add(deref(n).Line, "on_conflict: unknown answer %q (want %s, %s or %s)", s, ConflictRefuse, ConflictAdoptIdentical, ConflictSkip)
	return ConflictRefuse
}
