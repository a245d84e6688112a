package config

import "gopkg.in/yaml.v3"

// Metrics is herd.yaml's metrics: what herd serve's /metrics exports.
type Metrics struct {
	// PerTenant adds a series per tenant (herd_tenant_info, labelled with
	// the tenant's code, version and status) to the fleet-wide ones
	// (metrics.per_tenant, default false). Off by default: each tenant is
	// one more time series in Prometheus, and a fleet of thousands of
	// tenants is thousands of series.
	PerTenant bool
}

// metrics reads the metrics section.
func (p *parser) metrics(n *yaml.Node) Metrics {
	var m Metrics
	n = deref(n)
	if isNull(n) {
		return m
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "metrics: want a mapping with per_tenant, got %s", kindName(n))
		return m
	}
	f := p.fields(n, "metrics", "per_tenant")
	if e, ok := f["per_tenant"]; ok {
		m.PerTenant = p.boolean(e.val, "metrics.per_tenant")
	}
	return m
}
