package flags

import (
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

// Result is the outcome of evaluating a flag for a tenant. Besides the
// answer and the rule that gave it, it carries what that rule looked at,
// so that Detail can say why in words when asked: building a Result
// formats nothing and allocates nothing.
type Result struct {
	// Flag is the flag's name.
	Flag string
	// Tenant is the tenant's code.
	Tenant string
	// Enabled is whether the tenant may use the feature.
	Enabled bool
	// Reason is the rule that decided.
	Reason Reason

	// Version is the tenant's schema version as evaluated; nil when it
	// has none.
	Version *semver.Version
	// RequiredVersion is the flag's required version; nil when it has
	// none.
	RequiredVersion *semver.Version
	// Tier is the tenant's tier; "" when it has none.
	Tier string
	// EnabledFor is the flag's list of tiers, shared with the flag: the
	// caller must not modify it.
	EnabledFor []string
	// Bucket is the tenant's bucket for the flag, 1 to 100, when the
	// percentage rule decided (ReasonPercentageOn or ReasonPercentageOff);
	// 0 when an earlier rule did and no bucket was computed.
	Bucket int
	// Percentage is the flag's rollout percentage.
	Percentage float64
}

// Evaluate decides whether the tenant t may use the feature of flag f,
// given the tenant's override o, and says why. See the package
// documentation for the rules and their order. It never fails: a flag
// without a RequiredVersion (built by hand; config always sets one) has no
// version requirement beyond the tenant having a version.
func Evaluate(f config.Flag, t Tenant, o Override) Result {
	d := decide(f, t, o)
	return Result{
		Flag:            f.Name,
		Tenant:          t.Code,
		Enabled:         d.enabled,
		Reason:          d.reason,
		Version:         t.Version,
		RequiredVersion: f.RequiredVersion,
		Tier:            t.Tier,
		EnabledFor:      f.EnabledFor,
		Bucket:          d.bucket,
		Percentage:      f.RolloutPercentage,
	}
}

// Enabled is Evaluate reduced to its answer: whether the tenant may use the
// feature, and the rule that decided. Like Evaluate, it does not allocate.
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
