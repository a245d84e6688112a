package config

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SizeClass is a tenant's size as herd.yaml's large_tenants judges the
// figures herd analyze last measured.
type SizeClass string

// The size classes.
const (
	// SizeLarge is a tenant whose rows or bytes are at or above a
	// threshold of large_tenants.
	SizeLarge SizeClass = "large"
	// SizeSmall is an analysed tenant below both thresholds (every
	// analysed tenant, when large_tenants sets none).
	SizeSmall SizeClass = "small"
	// SizeUnknown is a tenant never analysed.
	SizeUnknown SizeClass = "unknown"
)

// SizeClasses returns every size class.
func SizeClasses() []SizeClass { return []SizeClass{SizeLarge, SizeSmall, SizeUnknown} }

// LargeTenants is herd.yaml's large_tenants: what makes a tenant large,
// and how many large tenants a runner migrates at once.
type LargeTenants struct {
	// Rows and Bytes are the thresholds: a tenant with at least Rows rows,
	// or at least Bytes bytes, is large. 0 sets no threshold.
	Rows, Bytes int64
	// Concurrency is how many large tenants one rollout runner migrates
	// at once, beside the small ones (default 1), by the sizes recorded
	// when the runner started.
	Concurrency int
	// Strategy, if set, is how a rollout migrates large tenants (a wave's
	// own strategy comes first); "" is in place.
	Strategy Strategy
	// Line is the line of large_tenants in the file; 0 when it is absent.
	Line int
}

// DefaultLargeTenants returns the large_tenants of a herd.yaml without
// one: no thresholds, so no tenant is large.
func DefaultLargeTenants() LargeTenants { return LargeTenants{Concurrency: 1} }

// Class returns the size class of a tenant with rows and bytes, or
// SizeUnknown when it was not analysed.
func (l LargeTenants) Class(rows, bytes int64, analyzed bool) SizeClass {
	switch {
	case !analyzed:
		return SizeUnknown
	case l.Rows > 0 && rows >= l.Rows, l.Bytes > 0 && bytes >= l.Bytes:
		return SizeLarge
	}
	return SizeSmall
}

// RunsWhole reports whether a tenant with rows and bytes runs its chunked
// migrations whole, as one statement: only when it was analysed and is
// below a threshold herd.yaml sets. Without a threshold every analysed
// tenant is small, yet nothing says it is small enough.
func (l LargeTenants) RunsWhole(rows, bytes int64, analyzed bool) bool {
	return (l.Rows > 0 || l.Bytes > 0) && l.Class(rows, bytes, analyzed) == SizeSmall
}

// largeTenants reads the large_tenants section.
func (p *parser) largeTenants(e entry) LargeTenants {
	l := DefaultLargeTenants()
	n := deref(e.val)
	if isNull(n) {
		return l
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "large_tenants: want a mapping with rows, bytes and concurrency, got %s", kindName(n))
		return l
	}
	l.Line = e.key.Line
	f := p.fields(n, "large_tenants", "rows", "bytes", "concurrency", "strategy")
	set := func(key string) (*yaml.Node, bool) {
		v, ok := f[key]
		if !ok || isNull(deref(v.val)) {
			return nil, false
		}
		return v.val, true
	}
	if v, ok := set("rows"); ok {
		if rows, ok := p.positive(v, "large_tenants.rows"); ok {
			l.Rows = int64(rows)
		}
	}
	if v, ok := set("bytes"); ok {
		l.Bytes = p.byteSize(v, "large_tenants.bytes")
	}
	if v, ok := set("concurrency"); ok {
		if c, ok := p.positive(v, "large_tenants.concurrency"); ok {
			l.Concurrency = c
		}
	}
	if v, ok := set("strategy"); ok {
		l.Strategy = p.strategy(v, "large_tenants.strategy")
	}
	_, hasRows := set("rows")
	_, hasBytes := set("bytes")
	if !hasRows && !hasBytes {
		p.add(n.Line, "large_tenants: set rows, bytes or both: the size at or above which a tenant is large")
	}
	return l
}

// byteUnits are the units a byte size may carry, by their multiple.
var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// byteSize reads a size in bytes of at least 1: a whole number, or a
// number and a unit (10GiB, 500MB, 1.5TiB). It returns 0 after recording a
// problem.
func (p *parser) byteSize(n *yaml.Node, where string) int64 {
	n = deref(n)
	const want = "want a size such as 10GiB, 500MB or 1073741824"
	if n.Kind != yaml.ScalarNode {
		p.add(n.Line, "%s: %s, got %s", where, want, kindName(n))
		return 0
	}
	s := strings.TrimSpace(n.Value)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult, okUnit := byteUnits[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !okUnit || err != nil {
		p.add(n.Line, "%s: %s (units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB), got %q", where, want, n.Value)
		return 0
	}
	b := v * mult
	if b < 1 || b > math.MaxInt64/2 {
		p.add(n.Line, "%s: must be at least 1 byte and at most 4EiB, got %q", where, n.Value)
		return 0
	}
	return int64(math.Round(b))
}

// checkSizeWaves refuses a wave of large tenants where large_tenants
// makes no tenant large.
func (p *parser) checkSizeWaves(cfg *Config) {
	if cfg.LargeTenants.Rows > 0 || cfg.LargeTenants.Bytes > 0 || cfg.LargeTenants.Line > 0 {
		return
	}
	for _, w := range cfg.Rollout.Waves {
		if slices.Contains(w.Sizes, SizeLarge) {
			p.add(w.Line, "rollout.waves.%s: sizes [large] selects no tenant: set large_tenants (rows or bytes) to say which tenants are large", w.Name)
		}
	}
}
