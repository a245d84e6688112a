package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Strategy is how a tenant is migrated: in place (the default) or by a
// shadow migration (see herd.Fleet.MigrateShadow).
type Strategy string

// The strategies.
const (
	StrategyInPlace Strategy = "in-place"
	StrategyShadow  Strategy = "shadow"
)

// strategy reads a wave's or large_tenants' strategy.
func (p *parser) strategy(n *yaml.Node, where string) Strategy {
	s, ok := p.str(n, where)
	if !ok {
		return ""
	}
	switch Strategy(s) {
	case StrategyInPlace, StrategyShadow:
		return Strategy(s)
	}
	p.add(deref(n).Line, "%s: unknown strategy %q (want %s or %s)", where, s, StrategyInPlace, StrategyShadow)
	return ""
}

// Shadow is herd.yaml's shadow: how a shadow migration's cut-over freezes
// a tenant's writes, and how long the database a tenant left is kept.
type Shadow struct {
	// FreezeTimeout bounds each try at freezing the tenant's writes
	// (waiting for the application's writers already under way), and is
	// what the application's writes wait at most meanwhile; default
	// DefaultFreezeTimeout.
	FreezeTimeout time.Duration
	// FreezeRetries is how many more tries a freeze gets, after a pause
	// of FreezeTimeout each, before the migration gives up and leaves the
	// tenant as it was; default DefaultFreezeRetries.
	FreezeRetries int
	// Retain is how long herd cleanup keeps the database a switched
	// tenant left, its rollback point; default DefaultShadowRetain.
	Retain time.Duration
}

// The defaults of the shadow section.
const (
	DefaultFreezeTimeout = 2 * time.Second
	DefaultFreezeRetries = 3
	DefaultShadowRetain  = 7 * 24 * time.Hour
)

// DefaultShadow returns the shadow section of a herd.yaml without one.
func DefaultShadow() Shadow {
	return Shadow{FreezeTimeout: DefaultFreezeTimeout, FreezeRetries: DefaultFreezeRetries, Retain: DefaultShadowRetain}
}

// shadow reads the shadow section.
func (p *parser) shadow(n *yaml.Node) Shadow {
	s := DefaultShadow()
	n = deref(n)
	if isNull(n) {
		return s
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "shadow: want a mapping with freeze_timeout, freeze_retries and retain, got %s", kindName(n))
		return s
	}
	f := p.fields(n, "shadow", "freeze_timeout", "freeze_retries", "retain")
	if e, ok := f["freeze_timeout"]; ok {
		if d, ok := p.duration(e.val, "shadow.freeze_timeout", time.Millisecond); ok {
			s.FreezeTimeout = d
		}
	}
	if e, ok := f["freeze_retries"]; ok {
		if n, ok := p.whole(e.val, "shadow.freeze_retries", 0); ok {
			s.FreezeRetries = n
		}
	}
	if e, ok := f["retain"]; ok {
		if d, ok := p.age(e.val, "shadow.retain"); ok {
			s.Retain = d
		}
	}
	return s
}
