package herd

import (
	"context"
	"slices"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/source"
)

// maxSearch bounds TenantQuery.Search: a tenant's name is at most 200
// characters.
const maxSearch = 200

// TenantQuery selects a page of TenantPage. Every filter left empty
// selects every tenant; the filters that are set must all hold.
type TenantQuery struct {
	// Version keeps the tenants at this current schema version ("1.2.0"
	// or "v1.2.0").
	Version string
	// Status keeps the tenants in this migration status: pending,
	// running, completed or failed.
	Status string
	Tier   string
	// Server keeps the tenants on this server of herd.yaml.
	Server string
	// Tag keeps the tenants that carry it.
	Tag string
	// Release keeps the tenants on this release by their current schema
	// version, as Fleet.Releases counts them.
	Release string
	// Search keeps the tenants whose code or name holds it, ignoring
	// case (ASCII case only on SQLite).
	Search string
	Page
}

// TenantListRow is a tenant's row of the status (the fields and names of
// herd status --json) with its registry entry's name, tier, server and
// tags.
type TenantListRow struct {
	StatusRow
	Name   string   `json:"name"`
	Tier   string   `json:"tier"`
	Server string   `json:"server"`
	Tags   []string `json:"tags"`
}

// TenantPage is one page of tenants, by code.
type TenantPage struct {
	Tenants []TenantListRow `json:"tenants"`
	// Next is the Cursor of the following page; "" when this page is
	// the last.
	Next string `json:"next,omitempty"`
}

// TenantPage returns the registered tenants q selects, by code, a page
// at a time, each with its status. The control database filters and
// pages them in one read (two with a Release), so a page costs the same
// whatever the fleet's size. A filter value herd does not know (a status,
// a server or a release), a version that is not one, a cursor it did not
// hand out or a limit out of bounds is an input error wrapping a
// *QueryError that names the parameter.
func (f *Fleet) TenantPage(ctx context.Context, q TenantQuery) (TenantPage, error) {
	filter, err := f.tenantFilter(ctx, q)
	if err != nil {
		return TenantPage{}, err
	}
	limit := filter.Limit
	filter.Limit++ // one more than the page tells whether another follows
	rows, err := f.control.TenantStatusPage(ctx, filter)
	if err != nil {
		return TenantPage{}, err
	}
	rows, next := page(rows, limit, func(ts control.TenantStatus) cursor { return cursor{"tenants", ts.Code} })
	out := TenantPage{Tenants: make([]TenantListRow, len(rows)), Next: next}
	for i, ts := range rows {
		out.Tenants[i] = TenantListRow{StatusRow: f.tenantStatusRow(ts.Version, ts.Size, ts.Drift),
			Name: ts.Name, Tier: ts.Tier, Server: ts.Server, Tags: nonNil(ts.Tags)}
	}
	return out, nil
}

// tenantFilter checks q and turns it into the control database's filter.
func (f *Fleet) tenantFilter(ctx context.Context, q TenantQuery) (control.TenantFilter, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return control.TenantFilter{}, err
	}
	c, err := parseCursor(q.Cursor, "tenants", 1)
	if err != nil {
		return control.TenantFilter{}, err
	}
	if err := oneOf("status", q.Status, control.Statuses()); err != nil {
		return control.TenantFilter{}, err
	}
	if q.Server != "" && !slices.Contains(f.cfg.ServerNames(), q.Server) {
		return control.TenantFilter{}, badParam("server", "%q: herd.yaml has no such server (servers: %s)",
			q.Server, strings.Join(f.cfg.ServerNames(), ", "))
	}
	if len(q.Search) > maxSearch {
		return control.TenantFilter{}, badParam("q", "%d characters: want at most %d", len(q.Search), maxSearch)
	}
	filter := control.TenantFilter{Status: control.Status(q.Status), Tier: q.Tier, Server: q.Server, Tag: q.Tag,
		Search: strings.ToLower(q.Search), Limit: limit}
	if c != nil {
		filter.After = c[0]
	}
	if filter.Versions, err = f.versionFilter(ctx, q.Version, q.Release); err != nil {
		return control.TenantFilter{}, err
	}
	return filter, nil
}

// versionFilter returns the current versions a tenant may be at to pass
// the version and release filters; nil when neither is set.
func (f *Fleet) versionFilter(ctx context.Context, version, rel string) ([]string, error) {
	var keep []string
	if version != "" {
		v, err := source.ParseVersion(version)
		if err != nil {
			return nil, badParam("version", "%v", err)
		}
		keep = []string{v.String()}
	}
	if rel == "" {
		return keep, nil
	}
	r, ok := f.matrix.Find(rel)
	if !ok {
		var names []string
		for _, r := range f.matrix.Releases() {
			names = append(names, r.Name)
		}
		return nil, badParam("release", "%q: no such release (releases: %s)", rel, strings.Join(names, ", "))
	}
	// The versions the fleet's tenants are at that are on the release:
	// a handful, read grouped.
	counts, err := f.control.FleetCounts(ctx)
	if err != nil {
		return nil, err
	}
	onRelease := []string{}
	for _, c := range counts {
		v, err := source.ParseVersion(c.Version)
		if err != nil {
			continue // never migrated: on no release
		}
		if on, ok := f.matrix.OnTenant(v); ok && on.Name == r.Name && !slices.Contains(onRelease, c.Version) &&
			(keep == nil || slices.Contains(keep, c.Version)) {
			onRelease = append(onRelease, c.Version)
		}
	}
	return onRelease, nil
}
