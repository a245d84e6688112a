package config

import (
	"math"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"
)

// Flag is one feature flag of the flags section: which tenants may use a
// feature, and from which tenant schema version. Package flags evaluates
// it for a tenant.
type Flag struct {
	// Name is the flag's key under flags: a-z, 0-9, _, . and -.
	Name string
	// RequiredVersion is the lowest tenant schema version that has what
	// the feature needs, by semver precedence (2.1.0-dev is below 2.1.0).
	// Parse always sets it; a Flag built by hand may leave it nil for no
	// version requirement.
	RequiredVersion *semver.Version
	// EnabledFor are the tenant tiers that may use the feature; nil means
	// every tier.
	EnabledFor []string
	// BetaTenants are tenant codes that get the feature ahead of the
	// rollout percentage (their tier must still be in EnabledFor).
	BetaTenants []string
	// RolloutPercentage is the share of the remaining tenants that get
	// the feature, from 0 (the default: none) to 100. Parse accepts whole
	// numbers only: tenants fall in 100 buckets of 1% each, so a fraction
	// would act as the whole number below it.
	RolloutPercentage float64
	// Description says what the feature is, for people; it may be "".
	Description string
	// Line is the line of the flag's name in the file.
	Line int
}

// Flag returns the declared flag called name, and whether there is one.
func (c *Config) Flag(name string) (Flag, bool) {
	for _, f := range c.Flags {
		if f.Name == name {
			return f, true
		}
	}
	return Flag{}, false
}

// flags reads the flags section, a mapping of flag names to flags, and
// returns the flags sorted by name.
func (p *parser) flags(n *yaml.Node) []Flag {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "flags: want a mapping of flag names to flags, got %s", kindName(n))
		return nil
	}
	var out []Flag
	for _, e := range p.entries(n, "flags") {
		out = append(out, p.flag(e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ReservedFlagPrefix starts the names of the flags herd answers itself
// (herd serve's herd.read_only); herd.yaml may not declare one.
const ReservedFlagPrefix = "herd."

// flag reads one flag.
func (p *parser) flag(e entry) Flag {
	fl := Flag{Name: e.key.Value, Line: e.key.Line}
	where := "flags." + fl.Name
	if !validName(fl.Name, ".-") {
		p.add(e.key.Line, "flags: flag name %q: use only a-z, 0-9, _, . and -", fl.Name)
	} else if strings.HasPrefix(fl.Name, ReservedFlagPrefix) {
		p.add(e.key.Line, "flags: flag name %q: names that start with %q are herd's own flags (herd serve answers %sread_only)",
			fl.Name, ReservedFlagPrefix, ReservedFlagPrefix)
	}
	n := deref(e.val)
	if isNull(n) {
		p.add(e.key.Line, "%s: required_version is required: the lowest tenant schema version that has the feature, as in 2.0.0", where)
		return fl
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping with required_version, enabled_for, beta_tenants and rollout_percentage, got %s", where, kindName(n))
		return fl
	}
	f := p.fields(n, where, "required_version", "enabled_for", "beta_tenants", "rollout_percentage", "description")

	if fe, ok := f["required_version"]; !ok {
		p.add(e.key.Line, "%s: required_version is required: the lowest tenant schema version that has the feature, as in 2.0.0", where)
	} else if s, ok := p.str(fe.val, where+".required_version"); ok {
		v, err := parseVersion(s)
		if err != nil {
			p.add(fe.val.Line, "%s: required_version %q is not a semantic version (want 2.0.0 or v2.0.0)", where, s)
		}
		fl.RequiredVersion = v
	}
	if fe, ok := f["enabled_for"]; ok {
		fl.EnabledFor = p.scalars(fe.val, where+".enabled_for", "tier", nil)
	}
	if fe, ok := f["beta_tenants"]; ok {
		fl.BetaTenants = p.scalars(fe.val, where+".beta_tenants", "tenant code", checkCode)
	}
	if fe, ok := f["rollout_percentage"]; ok && !isNull(deref(fe.val)) {
		fl.RolloutPercentage = p.rolloutPercentage(fe.val, where+".rollout_percentage")
	}
	if fe, ok := f["description"]; ok {
		fl.Description, _ = p.str(fe.val, where+".description")
	}
	return fl
}

// rolloutPercentage reads a flag's rollout_percentage: a whole number from
// 0 to 100, written 25 or 25%.
func (p *parser) rolloutPercentage(n *yaml.Node, where string) float64 {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		pc, ok := percentage(strings.TrimSuffix(strings.TrimSpace(n.Value), "%"))
		switch {
		case ok && pc <= 100 && pc == math.Trunc(pc):
			return pc
		case ok && pc <= 100:
			p.add(n.Line, "%s: want a whole number, got %s: tenants fall in buckets of 1%%, so a fraction would act as the whole number below it", where, scalarText(n))
			return 0
		}
	}
	p.add(n.Line, "%s: want a whole number from 0 to 100, such as 25, got %s", where, scalarText(n))
	return 0
}
