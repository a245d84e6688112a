package flags

import (
	"math"
	"slices"
	"strconv"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
)

// Tenant is what evaluation needs to know about a tenant.
type Tenant struct {
	// Code is the tenant's code: the stickiness value of its buckets.
	Code string
	// Tier is the tenant's tier, such as premium; "" when it has none,
	// which no enabled_for list matches.
	Tier string
	// Version is the tenant's current schema version; nil when it has
	// none (it was never migrated), which turns every flag off.
	Version *semver.Version
}

// Override is a per-tenant override of a flag, which the caller keeps: it
// forces the flag on or off for one tenant once the version gate has let
// the tenant through.
type Override int

// The overrides. Any other value acts as OverrideNone.
const (
	// OverrideNone leaves the flag to its rules.
	OverrideNone Override = iota
	// OverrideOn turns the flag on for the tenant.
	OverrideOn
	// OverrideOff turns the flag off for the tenant.
	OverrideOff
)

// String returns "none", "on" or "off".
func (o Override) String() string {
	switch o {
	case OverrideNone:
		return "none"
	case OverrideOn:
		return "on"
	case OverrideOff:
		return "off"
	}
	return "Override(" + strconv.Itoa(int(o)) + ")"
}

// Reason is the rule that decided an evaluation. Its values are stable,
// upper-case words, fit to show, log and send over the wire.
type Reason string

// The reasons, in the order Evaluate applies their rules.
const (
	// ReasonVersionGate: off, because the tenant's schema version is
	// below the flag's required version, or the tenant has none.
	ReasonVersionGate Reason = "VERSION_GATE"
	// ReasonOverrideOn: on, because the tenant's override turns it on.
	ReasonOverrideOn Reason = "OVERRIDE_ON"
	// ReasonOverrideOff: off, because the tenant's override turns it off.
	ReasonOverrideOff Reason = "OVERRIDE_OFF"
	// ReasonTier: off, because the flag is enabled for some tiers only,
	// and not for the tenant's.
	ReasonTier Reason = "TIER"
	// ReasonBeta: on, because the tenant is one of the flag's beta
	// tenants.
	ReasonBeta Reason = "BETA"
	// ReasonPercentageOn: on, because the tenant's bucket is within the
	// flag's rollout percentage.
	ReasonPercentageOn Reason = "PERCENTAGE_ON"
	// ReasonPercentageOff: off, because the tenant's bucket is beyond the
	// flag's rollout percentage.
	ReasonPercentageOff Reason = "PERCENTAGE_OFF"
)

// Result is the outcome of evaluating a flag for a tenant.
type Result struct {
	// Flag is the flag's name.
	Flag string
	// Tenant is the tenant's code.
	Tenant string
	// Enabled is whether the tenant may use the feature.
	Enabled bool
	// Reason is the rule that decided.
	Reason Reason
	// Detail says in words why, for people: "tenant at 1.1.0 is below the
	// required 2.0.0", "bucket 17 is within the 25% rollout". Its wording
	// may change; branch on Reason, not on Detail.
	Detail string
}

// Evaluate decides whether the tenant t may use the feature of flag f,
// given the tenant's override o, and says why. See the package
// documentation for the rules and their order. It never fails: a flag
// without a RequiredVersion (built by hand; config always sets one) has no
// version requirement beyond the tenant having a version.
func Evaluate(f config.Flag, t Tenant, o Override) Result {
	d := decide(f, t, o)
	return Result{
		Flag:    f.Name,
		Tenant:  t.Code,
		Enabled: d.enabled,
		Reason:  d.reason,
		Detail:  d.detail(f, t),
	}
}

// Enabled is Evaluate without the words: whether the tenant may use the
// feature, and the rule that decided. It does not allocate, which suits
// an application that asks on every request.
func Enabled(f config.Flag, t Tenant, o Override) (bool, Reason) {
	d := decide(f, t, o)
	return d.enabled, d.reason
}

// decision is what decide found: the outcome and, for the percentage
// rule, the tenant's bucket.
type decision struct {
	enabled bool
	reason  Reason
	bucket  int
}

// decide applies the rules in order. It is the one place that order lives.
func decide(f config.Flag, t Tenant, o Override) decision {
	if t.Version == nil || f.RequiredVersion != nil && t.Version.LessThan(f.RequiredVersion) {
		return decision{reason: ReasonVersionGate}
	}
	switch o {
	case OverrideOn:
		return decision{enabled: true, reason: ReasonOverrideOn}
	case OverrideOff:
		return decision{reason: ReasonOverrideOff}
	}
	if len(f.EnabledFor) > 0 && !slices.Contains(f.EnabledFor, t.Tier) {
		return decision{reason: ReasonTier}
	}
	if slices.Contains(f.BetaTenants, t.Code) {
		return decision{enabled: true, reason: ReasonBeta}
	}
	b := Bucket(f.Name, t.Code)
	if float64(b) <= f.RolloutPercentage {
		return decision{enabled: true, reason: ReasonPercentageOn, bucket: b}
	}
	return decision{reason: ReasonPercentageOff, bucket: b}
}

// detail says the decision in words.
func (d decision) detail(f config.Flag, t Tenant) string {
	switch d.reason {
	case ReasonOverrideOn:
		return "turned on for this tenant by an override"
	case ReasonOverrideOff:
		return "turned off for this tenant by an override"
	case ReasonBeta:
		return "tenant is a beta tenant"
	case ReasonVersionGate:
		if t.Version == nil {
			return "tenant has no schema version"
		}
	}
	var buf [128]byte
	b := buf[:0]
	switch d.reason {
	case ReasonVersionGate:
		b = append(b, "tenant at "...)
		b = appendVersion(b, t.Version)
		b = append(b, " is below the required "...)
		b = appendVersion(b, f.RequiredVersion)
	case ReasonTier:
		if t.Tier == "" {
			b = append(b, "tenant has no tier; the flag is for "...)
		} else {
			b = append(b, "tier "...)
			b = append(b, t.Tier...)
			b = append(b, " is not one of "...)
		}
		for i, tier := range f.EnabledFor {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, tier...)
		}
	case ReasonPercentageOn, ReasonPercentageOff:
		b = append(b, "bucket "...)
		b = strconv.AppendInt(b, int64(d.bucket), 10)
		if d.enabled {
			b = append(b, " is within the "...)
		} else {
			b = append(b, " is beyond the "...)
		}
		if pc := f.RolloutPercentage; pc == math.Trunc(pc) && math.Abs(pc) < 1e15 {
			b = strconv.AppendInt(b, int64(pc), 10) // what config allows, and faster
		} else {
			b = strconv.AppendFloat(b, pc, 'f', -1, 64)
		}
		b = append(b, "% rollout"...)
	}
	return string(b)
}

// appendVersion appends v as semver writes it (1.2.3-dev+build), without
// the allocation of v.String.
func appendVersion(b []byte, v *semver.Version) []byte {
	b = strconv.AppendUint(b, v.Major(), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Minor(), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Patch(), 10)
	if pre := v.Prerelease(); pre != "" {
		b = append(b, '-')
		b = append(b, pre...)
	}
	if meta := v.Metadata(); meta != "" {
		b = append(b, '+')
		b = append(b, meta...)
	}
	return b
}
