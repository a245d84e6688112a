package rollout

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// ErrNoTenant is what Select returns, wrapped with the selector, when a
// selector matches no tenant: most often a typo (tier=premum) that would
// otherwise start a rollout of nothing.
var ErrNoTenant = errors.New("matched no tenant")

// Select returns the tenants a selector expression names, in registry
// order. The expression is a comma-separated list of terms, unioned:
//
//	st_marys,greenfield   tenant codes
//	tier=premium          every tenant of a tier
//	server=eu1            every tenant on a server
//	tag:region=eu         every tenant with the tag "region=eu"
//	size=large            every tenant of a size class (large, small or
//	                      unknown), by its last analysis
//	@tenants.txt          the codes in a file, one per line (# comments)
//
// An empty expression selects every tenant. servers are the servers
// herd.yaml declares; size returns a tenant's size class. A code that is
// not registered, a server not in servers, an empty tier or tag, an
// unknown size class, or a malformed term is an error, and so is a
// selection of no tenant (wrapping ErrNoTenant).
func Select(expr string, tenants []control.Tenant, servers []string, size func(control.Tenant) config.SizeClass) ([]control.Tenant, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		if len(tenants) == 0 {
			return nil, fmt.Errorf("every tenant %w: none is registered", ErrNoTenant)
		}
		return tenants, nil
	}
	byCode := map[string]bool{}
	for _, t := range tenants {
		byCode[t.Code] = true
	}
	var preds []func(control.Tenant) bool
	var codes []string
	for _, term := range strings.Split(expr, ",") {
		term = strings.TrimSpace(term)
		switch {
		case term == "":
			continue
		case strings.HasPrefix(term, "@"):
			fromFile, err := readCodes(term[1:])
			if err != nil {
				return nil, err
			}
			codes = append(codes, fromFile...)
		case strings.HasPrefix(term, "tier="):
			tier := strings.TrimSpace(term[len("tier="):])
			if tier == "" {
				return nil, fmt.Errorf("selector term %q: name a tier, as in tier=premium", term)
			}
			preds = append(preds, func(t control.Tenant) bool { return t.Tier == tier })
		case strings.HasPrefix(term, "server="):
			server := strings.TrimSpace(term[len("server="):])
			if !slices.Contains(servers, server) {
				return nil, fmt.Errorf("selector term %q: herd.yaml declares no server %q (servers: %s)", term, server, strings.Join(servers, ", "))
			}
			preds = append(preds, func(t control.Tenant) bool { return t.Server == server })
		case strings.HasPrefix(term, "size="):
			class := config.SizeClass(strings.TrimSpace(term[len("size="):]))
			if !slices.Contains(config.SizeClasses(), class) {
				return nil, fmt.Errorf("selector term %q: want size=large, size=small or size=unknown", term)
			}
			preds = append(preds, func(t control.Tenant) bool { return size(t) == class })
		case strings.HasPrefix(term, "tag:"):
			tag := strings.TrimSpace(term[len("tag:"):])
			if tag == "" {
				return nil, fmt.Errorf("selector term %q: name a tag, as in tag:region=eu", term)
			}
			preds = append(preds, func(t control.Tenant) bool { return slices.Contains(t.Tags, tag) })
		case strings.ContainsAny(term, "=:"):
			return nil, fmt.Errorf("selector term %q: want a code, tier=T, server=S, tag:K=V, size=large|small or @FILE", term)
		default:
			codes = append(codes, term)
		}
	}
	wanted := map[string]bool{}
	for _, c := range codes {
		if !byCode[c] {
			return nil, fmt.Errorf("selector names tenant %q: %w", c, control.ErrTenantNotFound)
		}
		wanted[c] = true
	}
	var out []control.Tenant
	for _, t := range tenants {
		if wanted[t.Code] || slices.ContainsFunc(preds, func(p func(control.Tenant) bool) bool { return p(t) }) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("selector %q %w", expr, ErrNoTenant)
	}
	return out, nil
}

func readCodes(path string) ([]string, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("selector file: %w", err)
	}
	var codes []string
	for _, line := range strings.Split(string(body), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			codes = append(codes, line)
		}
	}
	return codes, nil
}
