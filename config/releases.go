package config

import (
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"
)

// releases reads the releases mapping and checks the releases against each
// other. It returns them in semver order.
func (p *parser) releases(n *yaml.Node) []Release {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	var out []Release
	rollbackNodes := map[string]*yaml.Node{} // by release Name
	for _, e := range p.entries(n, "releases") {
		r, rp, ok := p.release(e)
		if rp != nil {
			rollbackNodes[r.Name] = rp
		}
		if ok {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if c := out[i].Version.Compare(out[j].Version); c != 0 {
			return c < 0
		}
		return out[i].Line < out[j].Line
	})

	// Duplicate versions: keep the first in the file (the sort is stable
	// and puts it first), report the others.
	uniq := out[:0:0]
	for _, r := range out {
		if k := len(uniq); k > 0 && uniq[k-1].Version.Equal(r.Version) {
			first := uniq[k-1]
			p.add(r.Line, "releases.%s: same version as release %s (line %d)", r.Name, first.Name, first.Line)
			continue
		}
		uniq = append(uniq, r)
	}
	out = uniq

	for i := range out {
		if rp, ok := rollbackNodes[out[i].Name]; ok {
			out[i].RollbackPoint = p.rollbackPoint(out[i], out, rp)
		}
	}
	p.schemaOrder(out)
	p.featureHistory(out)
	return out
}

// release reads one release. It also returns the rollback_point node for
// checking once all releases are known, and false when the release's name
// is not a version.
func (p *parser) release(e entry) (Release, *yaml.Node, bool) {
	r := Release{Name: e.key.Value, Line: e.key.Line}
	where := "releases." + r.Name
	v, err := parseVersion(r.Name)
	if err != nil {
		p.add(e.key.Line, "releases: %q is not a semantic version (want v1.2.3 or 1.2.3)", r.Name)
	}
	r.Version, r.System, r.Tenant = v, v, v

	n := deref(e.val)
	if isNull(n) {
		return r, nil, err == nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping of release keys, got %s", where, kindName(n))
		return r, nil, err == nil
	}
	f := p.fields(n, where, "system", "tenant", "features", "removes",
		"breaking_changes", "rollback_point", "experimental")
	schema := func(key string) *semver.Version {
		fe, ok := f[key]
		if !ok {
			return v
		}
		s, ok := p.str(fe.val, where+"."+key)
		if !ok || s == "" {
			return v
		}
		sv, err := parseVersion(s)
		if err != nil {
			p.add(fe.val.Line, "%s: %s %q is not a semantic version (want 1.2.3)", where, key, s)
			return v
		}
		return sv
	}
	r.System, r.Tenant = schema("system"), schema("tenant")
	if fe, ok := f["system"]; ok {
		r.SystemDeclared = !isNull(deref(fe.val)) && deref(fe.val).Value != ""
	}
	if fe, ok := f["features"]; ok {
		r.Features = p.names(fe.val, where+".features")
	}
	if fe, ok := f["removes"]; ok {
		r.Removes = p.names(fe.val, where+".removes")
	}
	if fe, ok := f["breaking_changes"]; ok {
		r.BreakingChanges = p.boolean(fe.val, where+".breaking_changes")
	}
	if fe, ok := f["experimental"]; ok {
		r.Experimental = p.boolean(fe.val, where+".experimental")
	}
	var rp *yaml.Node
	if fe, ok := f["rollback_point"]; ok {
		if s, ok := p.str(fe.val, where+".rollback_point"); ok && s != "" {
			rp = fe.val
		}
	}
	return r, rp, err == nil
}

// rollbackPoint checks r's rollback_point (node n) against the declared
// releases and returns the Name of the release it names, or "".
func (p *parser) rollbackPoint(r Release, all []Release, n *yaml.Node) string {
	name := deref(n).Value
	where := "releases." + r.Name
	v, err := parseVersion(name)
	if err == nil {
		for _, o := range all {
			if !o.Version.Equal(v) {
				continue
			}
			if !o.Version.LessThan(r.Version) {
				p.add(n.Line, "%s: rollback_point %s must be a release lower than %s", where, name, r.Name)
				return ""
			}
			return o.Name
		}
	}
	names := make([]string, 0, len(all))
	for _, o := range all {
		if o.Version.LessThan(r.Version) {
			names = append(names, o.Name)
		}
	}
	if len(names) == 0 {
		p.add(n.Line, "%s: rollback_point %q is not a declared release, and no release is lower than %s", where, name, r.Name)
		return ""
	}
	p.add(n.Line, "%s: rollback_point %q is not a declared release (lower releases: %s)", where, name, strings.Join(names, ", "))
	return ""
}

// schemaOrder checks that a later release never maps to a lower system or
// tenant schema version than an earlier one.
func (p *parser) schemaOrder(rs []Release) {
	for i := 1; i < len(rs); i++ {
		prev, r := rs[i-1], rs[i]
		if r.System.LessThan(prev.System) {
			p.add(r.Line, "releases.%s: system schema %s is lower than %s of the earlier release %s", r.Name, r.System, prev.System, prev.Name)
		}
		if r.Tenant.LessThan(prev.Tenant) {
			p.add(r.Line, "releases.%s: tenant schema %s is lower than %s of the earlier release %s", r.Name, r.Tenant, prev.Tenant, prev.Name)
		}
	}
}

// featureHistory checks that each release removes only features that an
// earlier release has, and does not both add and remove one.
func (p *parser) featureHistory(rs []Release) {
	have := map[string]bool{}
	for _, r := range rs {
		adds := map[string]bool{}
		for _, f := range r.Features {
			adds[f] = true
		}
		for _, f := range r.Removes {
			switch {
			case adds[f]:
				p.add(r.Line, "releases.%s: feature %q is under both features and removes", r.Name, f)
			case !have[f]:
				p.add(r.Line, "releases.%s: removes %q, which no earlier release has", r.Name, f)
			}
		}
		for _, f := range r.Features {
			have[f] = true
		}
		for _, f := range r.Removes {
			if !adds[f] {
				delete(have, f)
			}
		}
	}
}
