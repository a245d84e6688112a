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
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/sqlite"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// Open a SQLite fleet, register a tenant and bring it to a release, then
// take it back one.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "herd-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg, err := config.Parse([]byte(`
control: sqlite:./control.db
servers:
  default: sqlite:./tenants
tenant_database: school_erp_trust_{code}
migrations: ./migrations
`), filepath.Join(dir, "herd.yaml"))
	if err != nil {
		log.Fatal(err)
	}
	migrations, _ := fs.Sub(schoolerp.Files(), "migrations")
	fleet, err := herd.Open(ctx, cfg, herd.Options{
		Dialects:   []dialect.Dialect{sqlite.New()},
		Migrations: migrations,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer fleet.Close()

	if _, err := fleet.AddTenant(ctx, herd.TenantSpec{Code: "greenfield", Tier: "premium"}); err != nil {
		log.Fatal(err)
	}
	for _, to := range []string{"v2.0.0", "v1.1.0"} {
		if err := fleet.Migrate(ctx, control.TenantRef("greenfield"), to); err != nil {
			log.Fatal(err)
		}
		v, _, _ := fleet.Control().Version(ctx, control.TenantRef("greenfield"))
		fmt.Printf("greenfield at %s (%s)\n", v.CurrentVersion, v.Status)
	}
	// Output:
	// greenfield at 2.0.0 (completed)
	// greenfield at 1.1.0 (completed)
}
