package herd

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/shadow"
)

// DiscoverRequest says where DiscoverTenants looks.
type DiscoverRequest struct {
	// Server is the server to list; "" is the default server.
	Server string
	// Pattern names a tenant's database (or schema) with one {code} in
	// it, such as "school_erp_trust_{code}"; default herd.yaml's
	// tenant_database.
	Pattern string
	// Register registers each database found whose code is valid and
	// free, as an existing database (it is never created).
	Register bool
}

// DiscoveredTenant is a database (or schema) that DiscoverTenants found.
type DiscoveredTenant struct {
	Code     string `json:"code"`
	Server   string `json:"server"`
	Database string `json:"database"`
	// Registered is set when DiscoverTenants registered it.
	Registered bool `json:"registered"`
	// Problem says why it cannot be registered as it is (a code herd
	// does not accept, or one another tenant has); "" when it can.
	Problem string `json:"problem,omitempty"`
}

// DiscoverTenants lists the databases (or, on a server with a schema per
// tenant, the schemas) of a server whose names match req.Pattern and that
// no tenant is registered on, with the code each would get: the part of
// its name in place of {code}. herd's own databases (snapshots, shadows,
// scratch databases) are left out. With req.Register it registers each
// one whose code is valid and free, in name order, and stops at the first
// that fails. A pattern without exactly one {code}, or an unknown server,
// is an *InputError.
func (f *Fleet) DiscoverTenants(ctx context.Context, req DiscoverRequest) ([]DiscoveredTenant, error) {
	pattern := cmp.Or(req.Pattern, f.cfg.TenantDatabase)
	prefix, suffix, ok := strings.Cut(pattern, "{code}")
	if !ok || strings.Contains(suffix, "{code}") {
		return nil, &InputError{Err: fmt.Errorf("discover: pattern %q must hold {code} once", pattern)}
	}
	sc, err := f.cfg.Server(req.Server)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("discover: %w", err)}
	}
	srv := f.servers[sc.Name]
	lister, ok := srv.Server.(dialect.Lister)
	if !ok {
		return nil, fmt.Errorf("discover: server %q cannot list its databases", sc.Name)
	}
	names, err := lister.Databases(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("discover on server %q: %w", sc.Name, err)
	}
	slices.Sort(names) // by byte, whatever the server's collation
	skip, codes, err := f.notTenants(ctx, sc.Name, srv.MaxNameLength(), names)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	var out []DiscoveredTenant
	for _, name := range names {
		code, ok := strings.CutSuffix(strings.TrimPrefix(name, prefix), suffix)
		if !ok || code == "" || skip[name] {
			continue
		}
		d := DiscoveredTenant{Code: code, Server: sc.Name, Database: name}
		if err := ValidateTenantCode(code); err != nil {
			d.Problem = err.Error()
		} else if other, taken := codes[code]; taken {
			d.Problem = fmt.Sprintf("tenant %q is registered, with database %s", code, other)
		}
		out = append(out, d)
	}
	if !req.Register {
		return out, nil
	}
	for i, d := range out {
		if d.Problem != "" {
			continue
		}
		if _, err := f.AddTenant(ctx, TenantSpec{Code: d.Code, Server: d.Server, Database: d.Database, ExistingOnly: true}); err != nil {
			return out, fmt.Errorf("discover: register %s: %w", d.Database, err)
		}
		out[i].Registered = true
	}
	return out, nil
}

// notTenants returns the names among names (of server's databases, whose
// engine allows names of maxLen bytes) that are not unregistered tenants:
// the databases of registered tenants, the snapshots and shadow switches
// the control database records, herd's own scratch databases and the
// shadows of any of these. codes maps each registered code to its
// database.
func (f *Fleet) notTenants(ctx context.Context, server string, maxLen int, names []string) (skip map[string]bool, codes map[string]string, err error) {
	tenants, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, nil, err
	}
	sns, err := f.control.Snapshots(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	sws, err := f.control.Switches(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	skip, codes = map[string]bool{}, map[string]string{}
	for _, t := range tenants {
		codes[t.Code] = t.Database
		if t.Server == server {
			skip[t.Database] = true
		}
	}
	for _, sn := range sns {
		skip[sn.Name] = skip[sn.Name] || sn.Server == server
	}
	for _, sw := range sws {
		if sw.Server == server {
			skip[sw.OldDatabase], skip[sw.NewDatabase] = true, true
		}
	}
	for _, name := range append(names, keys(skip)...) {
		if strings.HasPrefix(name, herdTablePrefix) {
			skip[name] = true
		}
		// A name too long to have a shadow has none.
		if shadowName, err := shadow.Name(name, maxLen); err == nil {
			skip[shadowName] = true
		}
	}
	return skip, codes, nil
}

// keys returns the keys of m whose value is true.
func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}
