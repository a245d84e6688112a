package flags_test

import (
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/flags"
)

// fees is the example flag.
var fees = config.Flag{
	Name:              "enhanced_fee_system",
	RequiredVersion:   semver.MustParse("2.0.0"),
	EnabledFor:        []string{"premium", "enterprise"},
	BetaTenants:       []string{"demo_trust", "test_trust"},
	RolloutPercentage: 25,
}

// with returns fees changed by edit.
func with(edit func(*config.Flag)) config.Flag {
	f := fees
	edit(&f)
	return f
}

func v(s string) *semver.Version { return semver.MustParse(s) }

// The buckets the cases rely on, from TestBucketVectors (computed
// independently): enhanced_fee_system gives sunrise 11, st_marys 80,
// hillcrest 100, demo_trust 15; advanced_reporting gives holy_cross 25.
func TestEvaluate(t *testing.T) {
	t.Parallel()
	premium := func(code, version string) flags.Tenant {
		t := flags.Tenant{Code: code, Tier: "premium"}
		if version != "" {
			t.Version = v(version)
		}
		return t
	}
	tests := []struct {
		name     string
		flag     config.Flag
		tenant   flags.Tenant
		override flags.Override
		enabled  bool
		reason   flags.Reason
		detail   string
	}{
		// 1. The version gate comes first; nothing beats it.
		{name: "below the required version", flag: fees, tenant: premium("sunrise", "1.1.0"),
			reason: flags.ReasonVersionGate, detail: "tenant at 1.1.0 is below the required 2.0.0"},
		{name: "no schema version", flag: fees, tenant: premium("sunrise", ""),
			reason: flags.ReasonVersionGate, detail: "tenant has no schema version"},
		{name: "override on cannot beat the version gate", flag: fees, tenant: premium("sunrise", "1.9.9"), override: flags.OverrideOn,
			reason: flags.ReasonVersionGate, detail: "tenant at 1.9.9 is below the required 2.0.0"},
		{name: "override on cannot beat a missing version", flag: fees, tenant: premium("sunrise", ""), override: flags.OverrideOn,
			reason: flags.ReasonVersionGate, detail: "tenant has no schema version"},
		{name: "beta cannot beat the version gate", flag: fees, tenant: premium("demo_trust", "1.0.0"),
			reason: flags.ReasonVersionGate, detail: "tenant at 1.0.0 is below the required 2.0.0"},
		{name: "100% cannot beat the version gate", flag: with(func(f *config.Flag) { f.RolloutPercentage = 100 }), tenant: premium("sunrise", "1.0.0"),
			reason: flags.ReasonVersionGate, detail: "tenant at 1.0.0 is below the required 2.0.0"},
		{name: "pre-release of the required version is below it", flag: with(func(f *config.Flag) { f.RequiredVersion = v("2.1.0") }),
			tenant: premium("sunrise", "2.1.0-dev"),
			reason: flags.ReasonVersionGate, detail: "tenant at 2.1.0-dev is below the required 2.1.0"},
		{name: "pre-releases compare by precedence", flag: with(func(f *config.Flag) { f.RequiredVersion = v("2.1.0-dev.2") }),
			tenant: premium("sunrise", "2.1.0-dev.1+build.7"),
			reason: flags.ReasonVersionGate, detail: "tenant at 2.1.0-dev.1+build.7 is below the required 2.1.0-dev.2"},
		{name: "release satisfies its own pre-release", flag: with(func(f *config.Flag) { f.RequiredVersion = v("2.1.0-dev") }),
			tenant: premium("sunrise", "2.1.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "same pre-release passes", flag: with(func(f *config.Flag) { f.RequiredVersion = v("2.1.0-dev") }),
			tenant: premium("sunrise", "2.1.0-dev"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "exactly the required version passes", flag: fees, tenant: premium("sunrise", "v2.0.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "build metadata is ignored", flag: fees, tenant: premium("sunrise", "2.0.0+build.1"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "a higher version passes", flag: fees, tenant: premium("sunrise", "10.0.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "no required version: any version passes", flag: with(func(f *config.Flag) { f.RequiredVersion = nil }),
			tenant: premium("sunrise", "0.0.1"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "no required version: still needs a tenant version", flag: with(func(f *config.Flag) { f.RequiredVersion = nil }),
			tenant: premium("sunrise", ""),
			reason: flags.ReasonVersionGate, detail: "tenant has no schema version"},

		// 2. Overrides come next: they beat tier, beta and percentage.
		{name: "override on beats the tier", flag: fees, tenant: flags.Tenant{Code: "st_marys", Tier: "basic", Version: v("2.0.0")},
			override: flags.OverrideOn, enabled: true,
			reason: flags.ReasonOverrideOn, detail: "turned on for this tenant by an override"},
		{name: "override on beats the percentage", flag: fees, tenant: premium("st_marys", "2.0.0"), override: flags.OverrideOn, enabled: true,
			reason: flags.ReasonOverrideOn, detail: "turned on for this tenant by an override"},
		{name: "override off beats beta", flag: fees, tenant: premium("demo_trust", "2.0.0"), override: flags.OverrideOff,
			reason: flags.ReasonOverrideOff, detail: "turned off for this tenant by an override"},
		{name: "override off beats 100%", flag: with(func(f *config.Flag) { f.RolloutPercentage = 100 }),
			tenant: premium("sunrise", "2.0.0"), override: flags.OverrideOff,
			reason: flags.ReasonOverrideOff, detail: "turned off for this tenant by an override"},
		{name: "an unknown override acts as none", flag: fees, tenant: premium("st_marys", "2.0.0"), override: flags.Override(7),
			reason: flags.ReasonPercentageOff, detail: "bucket 80 is beyond the 25% rollout"},

		// 3. Tier comes before beta and percentage.
		{name: "tier beats beta", flag: fees, tenant: flags.Tenant{Code: "demo_trust", Tier: "basic", Version: v("2.0.0")},
			reason: flags.ReasonTier, detail: "tier basic is not one of premium, enterprise"},
		{name: "tier beats 100%", flag: with(func(f *config.Flag) { f.RolloutPercentage = 100 }),
			tenant: flags.Tenant{Code: "sunrise", Tier: "standard", Version: v("2.0.0")},
			reason: flags.ReasonTier, detail: "tier standard is not one of premium, enterprise"},
		{name: "no tier is not in a tier list", flag: fees, tenant: flags.Tenant{Code: "sunrise", Version: v("2.0.0")},
			reason: flags.ReasonTier, detail: "tenant has no tier; the flag is for premium, enterprise"},
		{name: "tiers match exactly", flag: fees, tenant: flags.Tenant{Code: "sunrise", Tier: "Premium", Version: v("2.0.0")},
			reason: flags.ReasonTier, detail: "tier Premium is not one of premium, enterprise"},
		{name: "the other listed tier", flag: fees, tenant: flags.Tenant{Code: "sunrise", Tier: "enterprise", Version: v("2.0.0")}, enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "no tier list: every tier", flag: with(func(f *config.Flag) { f.EnabledFor = nil }),
			tenant: flags.Tenant{Code: "sunrise", Tier: "basic", Version: v("2.0.0")}, enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "no tier list: even no tier", flag: with(func(f *config.Flag) { f.EnabledFor = nil }),
			tenant: flags.Tenant{Code: "sunrise", Version: v("2.0.0")}, enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},

		// 4. Beta beats the percentage.
		{name: "beta beats a 0% rollout", flag: with(func(f *config.Flag) { f.RolloutPercentage = 0 }), tenant: premium("test_trust", "2.0.0"),
			enabled: true, reason: flags.ReasonBeta, detail: "tenant is a beta tenant"},
		{name: "beta outside its bucket", flag: with(func(f *config.Flag) { f.RolloutPercentage = 10 }), tenant: premium("demo_trust", "2.0.0"),
			enabled: true, reason: flags.ReasonBeta, detail: "tenant is a beta tenant"},

		// 5. Percentage: on when bucket <= percentage.
		{name: "bucket within", flag: fees, tenant: premium("sunrise", "2.0.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 11 is within the 25% rollout"},
		{name: "bucket beyond", flag: fees, tenant: premium("st_marys", "2.0.0"),
			reason: flags.ReasonPercentageOff, detail: "bucket 80 is beyond the 25% rollout"},
		{name: "bucket equal to the percentage is on", flag: config.Flag{Name: "advanced_reporting", RequiredVersion: v("2.1.0"), RolloutPercentage: 25},
			tenant: premium("holy_cross", "2.1.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 25 is within the 25% rollout"},
		{name: "bucket one above the percentage is off", flag: config.Flag{Name: "advanced_reporting", RequiredVersion: v("2.1.0"), RolloutPercentage: 24},
			tenant: premium("holy_cross", "2.1.0"),
			reason: flags.ReasonPercentageOff, detail: "bucket 25 is beyond the 24% rollout"},
		{name: "a fraction acts as the whole number below", flag: config.Flag{Name: "advanced_reporting", RequiredVersion: v("2.1.0"), RolloutPercentage: 24.9},
			tenant: premium("holy_cross", "2.1.0"),
			reason: flags.ReasonPercentageOff, detail: "bucket 25 is beyond the 24.9% rollout"},
		{name: "0% enables bucket 1 never", flag: config.Flag{Name: "basic_erp", RequiredVersion: v("1.0.0")},
			tenant: premium("school_0001", "1.0.0"),
			reason: flags.ReasonPercentageOff, detail: "bucket 1 is beyond the 0% rollout"},
		{name: "1% enables bucket 1", flag: config.Flag{Name: "basic_erp", RequiredVersion: v("1.0.0"), RolloutPercentage: 1},
			tenant: premium("school_0001", "1.0.0"), enabled: true,
			reason: flags.ReasonPercentageOn, detail: "bucket 1 is within the 1% rollout"},
		{name: "99% leaves bucket 100 out", flag: with(func(f *config.Flag) { f.RolloutPercentage = 99 }), tenant: premium("hillcrest", "2.0.0"),
			reason: flags.ReasonPercentageOff, detail: "bucket 100 is beyond the 99% rollout"},
		{name: "100% enables bucket 100", flag: with(func(f *config.Flag) { f.RolloutPercentage = 100 }), tenant: premium("hillcrest", "2.0.0"),
			enabled: true, reason: flags.ReasonPercentageOn, detail: "bucket 100 is within the 100% rollout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := flags.Evaluate(tt.flag, tt.tenant, tt.override)
			require.Equal(t, tt.flag.Name, got.Flag)
			require.Equal(t, tt.tenant.Code, got.Tenant)
			require.Equal(t, tt.enabled, got.Enabled)
			require.Equal(t, tt.reason, got.Reason)
			require.Equal(t, tt.detail, got.Detail())
			require.Equal(t, tt.detail, string(got.AppendDetail([]byte(nil))), "AppendDetail writes Detail's words")
			require.Equal(t, tt.tenant.Version, got.Version)
			require.Equal(t, tt.tenant.Tier, got.Tier)
			require.Equal(t, tt.flag.RequiredVersion, got.RequiredVersion)
			require.Equal(t, tt.flag.RolloutPercentage, got.Percentage)
			enabled, reason := flags.Enabled(tt.flag, tt.tenant, tt.override)
			require.Equal(t, tt.enabled, enabled, "Enabled agrees with Evaluate")
			require.Equal(t, tt.reason, reason, "Enabled agrees with Evaluate")
		})
	}
}

// TestEvaluateDistribution checks that the 25% flag enables 25% ±
// 1.5% of 10,000 tenants that pass its other rules.
func TestEvaluateDistribution(t *testing.T) {
	t.Parallel()
	f := with(func(f *config.Flag) { f.BetaTenants = nil })
	on := 0
	codes := tenantCodes(10_000)
	for _, c := range codes {
		r := flags.Evaluate(f, flags.Tenant{Code: c, Tier: "enterprise", Version: v("2.0.0")}, flags.OverrideNone)
		if r.Enabled {
			require.Equal(t, flags.ReasonPercentageOn, r.Reason)
			on++
		}
	}
	share := float64(on) * 100 / float64(len(codes))
	require.InDelta(t, 25, share, 1.5, "a 25%% flag enables %.2f%%", share)
}

// TestEvaluateMonotonic checks that raising a flag's percentage from 0 to
// 100 never turns a tenant off once it is on, that 0% enables none and
// 100% all, and that each step of 1% adds about 1% of the tenants.
func TestEvaluateMonotonic(t *testing.T) {
	t.Parallel()
	codes := tenantCodes(10_000)
	version := v("1.0.0")
	tenants := make([]flags.Tenant, len(codes))
	for i, c := range codes {
		tenants[i] = flags.Tenant{Code: c, Version: version}
	}
	for _, name := range []string{"enhanced_fee_system", "advanced_reporting"} {
		on := make([]bool, len(tenants))
		for pct := 0.0; pct <= 100; pct += 0.5 {
			f := config.Flag{Name: name, RequiredVersion: version, RolloutPercentage: pct}
			count := 0
			for i, tenant := range tenants {
				enabled, _ := flags.Enabled(f, tenant, flags.OverrideNone)
				if on[i] && !enabled {
					t.Fatalf("%s: tenant %s was on below %v%% and is off at it", name, tenant.Code, pct)
				}
				on[i] = enabled
				if enabled {
					count++
				}
			}
			switch pct {
			case 0:
				require.Zero(t, count, "%s at 0%%", name)
			case 100:
				require.Len(t, codes, count, "%s at 100%%", name)
			}
		}
	}
}

// rulePaths are tenants (and overrides) for which the flag is
// decided by each rule in turn, the percentage rule (the common case:
// hashing) first.
var rulePaths = []struct {
	name     string
	tenant   flags.Tenant
	override flags.Override
	reason   flags.Reason
}{
	{"percentage", flags.Tenant{Code: "st_marys", Tier: "premium", Version: v("2.0.0")}, flags.OverrideNone, flags.ReasonPercentageOff},
	{"beta", flags.Tenant{Code: "demo_trust", Tier: "premium", Version: v("2.0.0")}, flags.OverrideNone, flags.ReasonBeta},
	{"tier", flags.Tenant{Code: "st_marys", Tier: "basic", Version: v("2.0.0")}, flags.OverrideNone, flags.ReasonTier},
	{"override", flags.Tenant{Code: "st_marys", Tier: "premium", Version: v("2.0.0")}, flags.OverrideOn, flags.ReasonOverrideOn},
	{"version_gate", flags.Tenant{Code: "st_marys", Tier: "premium", Version: v("1.1.0")}, flags.OverrideNone, flags.ReasonVersionGate},
}

// TestEvaluateDoesNotAllocate checks that Evaluate and Enabled allocate
// nothing on any rule path: the words of Detail are made only when asked.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	for _, p := range rulePaths {
		require.Equal(t, p.reason, flags.Evaluate(fees, p.tenant, p.override).Reason, p.name)
		var r flags.Result
		allocs := testing.AllocsPerRun(100, func() {
			r = flags.Evaluate(fees, p.tenant, p.override)
		})
		require.Zero(t, allocs, "Evaluate on the %s path", p.name)
		allocs = testing.AllocsPerRun(100, func() {
			flags.Enabled(fees, p.tenant, p.override)
		})
		require.Zero(t, allocs, "Enabled on the %s path", p.name)
		buf := make([]byte, 0, 128)
		allocs = testing.AllocsPerRun(100, func() {
			buf = r.AppendDetail(buf[:0])
		})
		require.Zero(t, allocs, "AppendDetail into a buffer with room, on the %s path", p.name)
	}
}

func TestOverrideString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "none", flags.OverrideNone.String())
	require.Equal(t, "on", flags.OverrideOn.String())
	require.Equal(t, "off", flags.OverrideOff.String())
	require.Equal(t, "Override(7)", flags.Override(7).String())
}

// BenchmarkEvaluate evaluates the flag for tenants that reach each
// rule.
func BenchmarkEvaluate(b *testing.B) {
	for _, p := range rulePaths {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				flags.Evaluate(fees, p.tenant, p.override)
			}
		})
	}
}

// BenchmarkEnabled is BenchmarkEvaluate reduced to the answer.
func BenchmarkEnabled(b *testing.B) {
	for _, p := range rulePaths {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				flags.Enabled(fees, p.tenant, p.override)
			}
		})
	}
}

// BenchmarkDetail is the cost of the words, paid only when asked.
func BenchmarkDetail(b *testing.B) {
	for _, p := range rulePaths {
		r := flags.Evaluate(fees, p.tenant, p.override)
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Detail()
			}
		})
	}
}
