package herd_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect/sqlite"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
	"github.com/herdhq/herd/flags"
)

// exampleFleet opens a School ERP fleet on SQLite in a temporary folder
// with herd.yaml's extra lines, and returns it with a function that
// closes it and removes the folder.
func exampleFleet(ctx context.Context, extra string) (*herd.Fleet, func()) {
	dir, err := os.MkdirTemp("", "herd-example-")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`
control: sqlite:./control.db
servers:
  default: sqlite:./tenants
tenant_database: school_erp_trust_{code}
migrations: ./migrations
`+extra), filepath.Join(dir, "herd.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	migrations, _ := fs.Sub(schoolerp.Files(), "migrations")
	fleet, err := herd.Open(ctx, cfg, []herd.Dialect{sqlite.New()}, herd.Options{Migrations: migrations})
	if err != nil {
		log.Fatal(err)
	}
	return fleet, func() { fleet.Close(); os.RemoveAll(dir) }
}

// Open a SQLite fleet, register a tenant and bring it to a release, then
// take it back one.
func Example() {
	ctx := context.Background()
	fleet, done := exampleFleet(ctx, "")
	defer done()

	if _, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: "greenfield", Tier: "premium"}); err != nil {
		log.Fatal(err)
	}
	for _, to := range []string{"v2.0.0", "v1.1.0"} {
		if err := fleet.Migrate(ctx, herd.TenantRef("greenfield"), to); err != nil {
			log.Fatal(err)
		}
		v, _, _ := fleet.Version(ctx, herd.TenantRef("greenfield"))
		fmt.Printf("greenfield at %s (%s)\n", v.CurrentVersion, v.Status)
	}
	// Output:
	// greenfield at 2.0.0 (completed)
	// greenfield at 1.1.0 (completed)
}

// Feature flags: a flag gated on the schema version, evaluated for a
// tenant before and after its migration, then forced off for it.
func Example_featureFlags() {
	ctx := context.Background()
	fleet, done := exampleFleet(ctx, `
flags:
  enhanced_fee_system:
    required_version: 2.0.0
    enabled_for: [premium]
    rollout_percentage: 100
`)
	defer done()

	if _, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: "greenfield", Tier: "premium"}); err != nil {
		log.Fatal(err)
	}
	show := func() {
		r, err := fleet.EvaluateFlag(ctx, "enhanced_fee_system", "greenfield")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("enabled=%t reason=%s: %s\n", r.Enabled, r.Reason, r.Detail())
	}
	show()
	if err := fleet.Migrate(ctx, control.TenantRef("greenfield"), "v2.0.0"); err != nil {
		log.Fatal(err)
	}
	show()
	if err := fleet.SetFlagOverride(ctx, "enhanced_fee_system", "greenfield", flags.OverrideOff); err != nil {
		log.Fatal(err)
	}
	show()
	// Output:
	// enabled=false reason=VERSION_GATE: tenant has no schema version
	// enabled=true reason=PERCENTAGE_ON: bucket 66 is within the 100% rollout
	// enabled=false reason=OVERRIDE_OFF: turned off for this tenant by an override
}
