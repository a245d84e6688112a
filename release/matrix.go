package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/source"
)

// Release is one row of the compatibility matrix: a declared release, or a
// schema version folder that herd.yaml says nothing of.
type Release struct {
	// Name is the release as declared ("v2.0.0"), or "v" + Version for an
	// undeclared version folder.
	Name string
	// Version is Name as a semantic version.
	Version *semver.Version
	// System is the system schema version the release brings the system
	// database to: the declared system:, else the highest system schema
	// version at or below Version (see Matrix.SystemSchema); nil when the
	// migrations have no system schema at or below Version. Without a
	// source (New with a nil src) an omitted system: is Version.
	System *semver.Version
	// SystemDeclared reports whether herd.yaml sets the release's system:.
	SystemDeclared bool
	// Tenant is the tenant schema version the release brings tenant
	// databases to; Version when not declared.
	Tenant *semver.Version
	// Features are the release's effective features: its own plus those
	// of every earlier release, minus those a release removes. Sorted.
	Features []string
	// Added are the release's own features: and Removed its removes:, as
	// declared.
	Added, Removed []string
	// Breaking is the declared breaking_changes.
	Breaking bool
	// Experimental is the declared experimental, and is also true for a
	// pre-release version such as 2.1.0-dev.
	Experimental bool
	// RollbackPoint is the Name of the declared release one can go back to
	// from this one, or "".
	RollbackPoint string
	// Declared reports whether herd.yaml declares the release under
	// releases:.
	Declared bool
	// Line is the line of the release's name in herd.yaml; 0 when the
	// release is not declared.
	Line int
}

// Missing returns, sorted and without repeats, the features in enabled that
// r does not have. It is the brief's canMigrate: a tenant may move to r only
// when Missing of its enabled features is empty. It returns nil when r has
// them all.
func (r Release) Missing(enabled []string) []string {
	var out []string
	for _, f := range enabled {
		if !slices.Contains(r.Features, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// Matrix is the compatibility matrix: every release in semver precedence
// order. It is immutable and safe for concurrent use.
type Matrix struct {
	releases []Release
	// system are the source's system schema versions, ascending; tenant
	// its tenant schema versions. Both are nil without a source.
	system, tenant []*semver.Version
	// hasSource reports whether New was given a source.
	hasSource bool
}

// New builds the matrix from the declared releases (as config.Load returns
// them) and the schema versions found in the migration source. Every system
// or tenant version folder is a release even when herd.yaml says nothing of
// it: a version V that no declared release names (as its version, or as its
// system or tenant schema version) becomes the undeclared release "vV" with
// system V and tenant V, which inherits the features of the release before
// it. A release without a declared system: goes with the highest system
// schema version at or below its own version (see SystemSchema). src may
// be nil, for the declared releases alone. New never fails: it trusts
// config to have checked the declared releases.
func New(declared []config.Release, src *source.Source) *Matrix {
	m := &Matrix{hasSource: src != nil}
	if src != nil {
		m.system, m.tenant = src.Versions(source.System), src.Versions(source.Tenant)
	}
	var rs []Release
	named := func(v *semver.Version) bool {
		for _, d := range declared {
			if d.Version.Equal(v) || d.System.Equal(v) || d.Tenant.Equal(v) {
				return true
			}
		}
		for _, r := range rs {
			if r.Version.Equal(v) {
				return true
			}
		}
		return false
	}
	for _, d := range declared {
		rs = append(rs, Release{
			Name: d.Name, Version: d.Version, System: m.systemOf(d.Version, d.System, d.SystemDeclared),
			SystemDeclared: d.SystemDeclared, Tenant: d.Tenant,
			Added: slices.Clone(d.Features), Removed: slices.Clone(d.Removes),
			Breaking: d.BreakingChanges, Experimental: d.Experimental || d.Version.Prerelease() != "",
			RollbackPoint: d.RollbackPoint, Declared: true, Line: d.Line,
		})
	}
	if src != nil {
		for _, t := range []source.Target{source.System, source.Tenant} {
			for _, v := range src.Versions(t) {
				if !named(v) {
					rs = append(rs, Release{Name: "v" + v.String(), Version: v, System: m.systemOf(v, v, false), Tenant: v,
						Experimental: v.Prerelease() != ""})
				}
			}
		}
	}
	slices.SortStableFunc(rs, func(a, b Release) int { return a.Version.Compare(b.Version) })

	have := map[string]bool{}
	for i := range rs {
		for _, f := range rs[i].Added {
			have[f] = true
		}
		for _, f := range rs[i].Removed {
			delete(have, f)
		}
		features := make([]string, 0, len(have))
		for f := range have {
			features = append(features, f)
		}
		slices.Sort(features)
		rs[i].Features = features
	}
	m.releases = rs
	return m
}

// systemOf is the system schema of a release at version v whose system:
// is declared (as declared) or not (as omitted, which config reads as v).
func (m *Matrix) systemOf(v, declared *semver.Version, isDeclared bool) *semver.Version {
	if isDeclared || !m.hasSource {
		return declared
	}
	return atOrBelow(m.system, v)
}

// atOrBelow returns the highest of the ascending versions that is at most
// v, or nil when there is none.
func atOrBelow(versions []*semver.Version, v *semver.Version) *semver.Version {
	var best *semver.Version
	for _, c := range versions {
		if !c.GreaterThan(v) {
			best = c
		}
	}
	return best
}

// SystemSchema returns the system schema version that name brings the
// system database to. It is the one rule that herd plan, migrate --to,
// migrate --all --to, rollout start --to and lint follow:
//
//   - "" is the latest system schema version;
//   - a release (written with or without its v) that declares system: goes
//     to that version, which must be a system schema version;
//   - a release that omits system:, an undeclared version folder, and a
//     schema version that is not a release go to the highest system schema
//     version at or below their own version (so a release that changes
//     only tenant schemas keeps the system schema of the release before
//     it).
//
// It returns nil, and no error, when there are no system migrations at all,
// or none at or below the version: the system database is then left as it
// is. A name that is neither a release nor a schema version, and a declared
// system: that is no system schema version, are errors naming what is
// known. SystemSchema is meant for a matrix built with a source; without one
// it returns the releases' declared (or implied) system versions unchecked.
func (m *Matrix) SystemSchema(name string) (*semver.Version, error) {
	if m.hasSource && len(m.system) == 0 {
		return nil, nil
	}
	if name == "" {
		if len(m.system) == 0 {
			return nil, nil
		}
		return m.system[len(m.system)-1], nil
	}
	if r, ok := m.Find(name); ok {
		if r.SystemDeclared && m.hasSource && !contains(m.system, r.System) {
			return nil, fmt.Errorf("release %s: system schema %s does not exist (system schemas: %s)",
				r.Name, r.System, names(m.system))
		}
		return r.System, nil
	}
	v, err := semver.StrictNewVersion(strings.TrimPrefix(name, "v"))
	if err != nil {
		return nil, fmt.Errorf("target version: %q is not a semantic version", name)
	}
	if !contains(m.system, v) && !contains(m.tenant, v) {
		return nil, fmt.Errorf("%s is neither a release nor a schema version (releases: %s)", name, m.names())
	}
	return atOrBelow(m.system, v), nil
}

func contains(versions []*semver.Version, v *semver.Version) bool {
	return slices.ContainsFunc(versions, v.Equal)
}

func names(versions []*semver.Version) string {
	out := make([]string, len(versions))
	for i, v := range versions {
		out[i] = "v" + v.String()
	}
	return strings.Join(out, ", ")
}

// names lists the releases' names.
func (m *Matrix) names() string {
	out := make([]string, len(m.releases))
	for i, r := range m.releases {
		out[i] = r.Name
	}
	return strings.Join(out, ", ")
}

// Releases returns every release in semver precedence order. The slice is
// the caller's to keep; the Releases in it share their feature lists with
// the matrix and must not be modified.
func (m *Matrix) Releases() []Release {
	return slices.Clone(m.releases)
}

// Features returns, sorted and once each, every feature some release
// adds: the names a tenant's enabled features may use.
func (m *Matrix) Features() []string {
	var out []string
	for _, r := range m.releases {
		for _, f := range r.Added {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Find returns the release called name, written with or without the leading
// v ("v1.0.0" and "1.0.0" find the same release), and whether there is one.
func (m *Matrix) Find(name string) (Release, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(name, "v"))
	for _, r := range m.releases {
		if r.Name == name || (err == nil && r.Version.Equal(v)) {
			return r, true
		}
	}
	return Release{}, false
}

// OnTenant returns the release a tenant whose schema is at version v is on:
// the highest release whose Tenant schema version is at most v, by semver
// precedence. ok is false when v is nil or below the first release's
// tenant schema.
func (m *Matrix) OnTenant(v *semver.Version) (r Release, ok bool) {
	if v == nil {
		return Release{}, false
	}
	for _, c := range m.releases {
		if !c.Tenant.GreaterThan(v) {
			r, ok = c, true
		}
	}
	return r, ok
}

// owner returns the release a migration at schema version v of target t
// belongs to: the lowest release whose schema version for t is at least v.
// ok is false when every release is below v.
func (m *Matrix) owner(t source.Target, v *semver.Version) (Release, bool) {
	for _, r := range m.releases {
		schema := r.Tenant
		if t == source.System {
			schema = r.System
		}
		if schema != nil && !schema.LessThan(v) {
			return r, true
		}
	}
	return Release{}, false
}
