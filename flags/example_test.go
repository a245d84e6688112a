package flags_test

import (
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/flags"
)

func ExampleEvaluate() {
	cfg, err := config.Parse([]byte(`
control: sqlite:./herd-data/control.db
servers: {default: "sqlite:./herd-data/tenants"}
tenant_database: tenant_{code}
migrations: ./migrations
flags:
  enhanced_fee_system:
    required_version: 2.0.0
    enabled_for: [premium, enterprise]
    beta_tenants: [demo_trust, test_trust]
    rollout_percentage: 25
`), "herd.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fees, _ := cfg.Flag("enhanced_fee_system")

	// What herd knows of some tenants, and one override.
	tenants := []flags.Tenant{
		{Code: "oakwood", Tier: "premium", Version: semver.MustParse("1.1.0")},
		{Code: "demo_trust", Tier: "premium", Version: semver.MustParse("2.0.0")},
		{Code: "northgate", Tier: "basic", Version: semver.MustParse("2.0.0")},
		{Code: "sunrise", Tier: "premium", Version: semver.MustParse("2.0.0")},
		{Code: "st_marys", Tier: "enterprise", Version: semver.MustParse("2.1.0")},
		{Code: "hillcrest", Tier: "enterprise", Version: semver.MustParse("2.1.0")},
	}
	overrides := map[string]flags.Override{"hillcrest": flags.OverrideOn}

	for _, t := range tenants {
		r := flags.Evaluate(fees, t, overrides[t.Code])
		fmt.Printf("%-10s %-5v %-14s %s\n", r.Tenant, r.Enabled, r.Reason, r.Detail())
	}
	// Output:
	// oakwood    false VERSION_GATE   tenant at 1.1.0 is below the required 2.0.0
	// demo_trust true  BETA           tenant is a beta tenant
	// northgate  false TIER           tier basic is not one of premium, enterprise
	// sunrise    true  PERCENTAGE_ON  bucket 11 is within the 25% rollout
	// st_marys   false PERCENTAGE_OFF bucket 80 is beyond the 25% rollout
	// hillcrest  true  OVERRIDE_ON    turned on for this tenant by an override
}

func ExampleBucket() {
	// Unleash's gradual rollout with groupId "enhanced_fee_system" puts
	// the tenant "sunrise" in the same bucket.
	fmt.Println(flags.Bucket("enhanced_fee_system", "sunrise"))
	// Output: 11
}
