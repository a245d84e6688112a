package herd

import (
	"context"
	"path"
	"strings"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// ReleaseCount is one release of the compatibility matrix with the number
// of registered tenants on it.
type ReleaseCount struct {
	release.Release
	// Tenants counts the registered tenants on the release by their
	// current schema version in the control database (see
	// release.Matrix.OnTenant).
	Tenants int
}

// ReleaseCounts is the fleet's compatibility matrix with its tenants
// counted.
type ReleaseCounts struct {
	// Releases are every release in semver precedence order.
	Releases []ReleaseCount
	// Unreleased counts the registered tenants on no release: never
	// migrated, or with a schema below the first release's tenant schema.
	Unreleased int
}

// ReleaseRow is one release of the matrix with its tenants counted, as
// herd releases --json and herd serve's /api/v1/releases print it.
type ReleaseRow struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// SystemVersion is "" when the release has no system schema.
	SystemVersion   string   `json:"system_version"`
	TenantVersion   string   `json:"tenant_version"`
	Features        []string `json:"features"`
	Added           []string `json:"added"`
	Removed         []string `json:"removed"`
	BreakingChanges bool     `json:"breaking_changes"`
	RollbackPoint   string   `json:"rollback_point"`
	Experimental    bool     `json:"experimental"`
	Declared        bool     `json:"declared"`
	Tenants         int      `json:"tenants"`
}

// Rows returns the releases of c as rows, in c's order.
func (c ReleaseCounts) Rows() []ReleaseRow {
	rows := make([]ReleaseRow, 0, len(c.Releases))
	for _, r := range c.Releases {
		row := ReleaseRow{
			Name: r.Name, Version: r.Version.String(), TenantVersion: r.Tenant.String(),
			Features: nonNil(r.Features), Added: nonNil(r.Added), Removed: nonNil(r.Removed),
			BreakingChanges: r.Breaking, RollbackPoint: r.RollbackPoint, Experimental: r.Experimental,
			Declared: r.Declared, Tenants: r.Tenants,
		}
		if r.System != nil {
			row.SystemVersion = r.System.String()
		}
		rows = append(rows, row)
	}
	return rows
}

// Releases returns the compatibility matrix with, for each release, how
// many registered tenants are on it by their current schema version. It
// only reads the control database, and returns its error when that fails.
func (f *Fleet) Releases(ctx context.Context) (ReleaseCounts, error) {
	tenants, err := f.control.Tenants(ctx)
	if err != nil {
		return ReleaseCounts{}, err
	}
	versions, err := f.control.Versions(ctx)
	if err != nil {
		return ReleaseCounts{}, err
	}
	current := map[control.Ref]string{}
	for _, v := range versions {
		current[v.Ref] = v.CurrentVersion
	}
	m := f.matrix
	rs := m.Releases()
	out := ReleaseCounts{Releases: make([]ReleaseCount, len(rs))}
	index := map[string]int{}
	for i, r := range rs {
		out.Releases[i].Release = r
		index[r.Name] = i
	}
	for _, t := range tenants {
		var r release.Release
		ok := false
		if v, err := source.ParseVersion(current[control.TenantRef(t.Code)]); err == nil {
			r, ok = m.OnTenant(v)
		}
		if !ok {
			out.Unreleased++
			continue
		}
		out.Releases[index[r.Name]].Tenants++
	}
	return out, nil
}

// lintReleases checks cfg's releases and flags against src with
// release.Lint and returns what it finds: errors (such as a breaking
// release without a rollback point, at its line in cfg.Path, or a
// statement that drops or renames a table or column in a release not
// marked breaking, at its file, named as LoadSource names migration files
// in its problems, and line) and warnings. See release.Lint for every rule.
func lintReleases(cfg *config.Config, src *source.Source) release.Findings {
	f := release.Lint(release.New(cfg.Releases, src), src, cfg)
	root := relative(cfg.Migrations)
	for _, ps := range [][]source.Problem{f.Errors, f.Warnings, f.Locks} {
		for i := range ps {
			if ps[i].File != cfg.Path && !strings.HasPrefix(ps[i].File, "go:") {
				ps[i].File = path.Join(root, ps[i].File)
			}
		}
	}
	return f
}
