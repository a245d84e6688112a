package release

import (
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
	// System and Tenant are the schema versions the release brings the
	// system and the tenant databases to; Version when not declared.
	System, Tenant *semver.Version
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
}

// New builds the matrix from the declared releases (as config.Load returns
// them) and the schema versions found in the migration source. Every system
// or tenant version folder is a release even when herd.yaml says nothing of
// it: a version V that no declared release names (as its version, or as its
// system or tenant schema version) becomes the undeclared release "vV" with
// system V and tenant V, which inherits the features of the release before
// it. src may be nil, for the declared releases alone. New never fails: it
// trusts config to have checked the declared releases.
func New(declared []config.Release, src *source.Source) *Matrix {
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
			Name: d.Name, Version: d.Version, System: d.System, Tenant: d.Tenant,
			Added: slices.Clone(d.Features), Removed: slices.Clone(d.Removes),
			Breaking: d.BreakingChanges, Experimental: d.Experimental || d.Version.Prerelease() != "",
			RollbackPoint: d.RollbackPoint, Declared: true, Line: d.Line,
		})
	}
	if src != nil {
		for _, t := range []source.Target{source.System, source.Tenant} {
			for _, v := range src.Versions(t) {
				if !named(v) {
					rs = append(rs, Release{Name: "v" + v.String(), Version: v, System: v, Tenant: v,
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
	return &Matrix{releases: rs}
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
		if !schema.LessThan(v) {
			return r, true
		}
	}
	return Release{}, false
}
