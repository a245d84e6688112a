package config_test

import (
	"fmt"

	"github.com/herdhq/herd/config"
)

func ExampleParse() {
	data := []byte(`
control: sqlite:./herd-data/control.db
servers:
  default: sqlite:./herd-data/tenants
  shared: {dsn: "postgres://postgres@127.0.0.1:5432/fleet", tenancy: schema}
default_server: default
tenant_database: school_erp_trust_{code}
migrations: ./migrations
releases:
  v1.1.0:
    features: [custom_fields]
    rollback_point: v1.0.0
  v1.0.0:
    features: [basic_erp]
`)
	cfg, err := config.Parse(data, "deploy/herd.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("control:", cfg.Control)
	for _, s := range cfg.Servers {
		fmt.Printf("server %s (%s): %s\n", s.Name, s.Tenancy, config.RedactDSN(s.DSN))
	}
	fmt.Println("tenant abc:", cfg.TenantDatabaseName("abc"))
	for _, r := range cfg.Releases {
		fmt.Printf("release %s: tenant schema %s, features %v, rollback point %q\n", r.Name, r.Tenant, r.Features, r.RollbackPoint)
	}
	// Output:
	// control: sqlite:deploy/herd-data/control.db
	// server default (database): sqlite:deploy/herd-data/tenants
	// server shared (schema): postgres://postgres@127.0.0.1:5432/fleet
	// tenant abc: school_erp_trust_abc
	// release v1.0.0: tenant schema 1.0.0, features [basic_erp], rollback point ""
	// release v1.1.0: tenant schema 1.1.0, features [custom_fields], rollback point "v1.0.0"
}

func ExampleParse_invalid() {
	data := []byte(`control: sqlite:./control.db
servers:
  default: sqlite:./tenants
  pg: postgre://postgres@127.0.0.1:5432/postgres
tenant_database: trust_{code}
migrations: ./migrations
`)
	_, err := config.Parse(data, "herd.yaml")
	fmt.Println(err)
	// Output:
	// herd.yaml:2: default_server is required when there are several servers (default, pg)
	// herd.yaml:4: servers.pg: dsn must start with sqlite:, postgres:// or mysql://
}
