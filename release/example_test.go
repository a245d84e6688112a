package release_test

import (
	"fmt"
	"testing/fstest"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

func Example() {
	cfg, err := config.Parse([]byte(`control: sqlite:./control.db
servers: {default: "sqlite:./tenants"}
tenant_database: trust_{code}
migrations: ./migrations
releases:
  v1.0.0:
    features: [basic_erp, legacy_fees]
  v2.0.0:
    features: [enhanced_fees]
    removes: [legacy_fees]
    breaking_changes: true
`), "herd.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := source.Load(fstest.MapFS{
		"tenant/v1.0.0/001_create_students.up.sql": {Data: []byte("CREATE TABLE students (id INT, nickname TEXT);")},
		"tenant/v1.1.0/002_drop_nickname.up.sql":   {Data: []byte("-- No longer shown.\nALTER TABLE students DROP COLUMN nickname;")},
		"tenant/v2.0.0/003_fees.up.sql":            {Data: []byte("CREATE TABLE fees (id INT);")},
	}, []source.Engine{sqlite.New()}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}

	m := release.New(cfg.Releases, src)
	for _, r := range m.Releases() {
		fmt.Printf("%s declared=%t features=%v\n", r.Name, r.Declared, r.Features)
	}
	v2, _ := m.Find("2.0.0")
	fmt.Println("a tenant with legacy_fees cannot move to v2.0.0, it lacks", v2.Missing([]string{"basic_erp", "legacy_fees"}))
	found := release.Lint(m, src, cfg)
	for _, p := range found.Errors {
		fmt.Println(p)
	}
	for _, p := range found.Warnings {
		fmt.Println("warning:", p)
	}
	// Output:
	// v1.0.0 declared=true features=[basic_erp legacy_fees]
	// v1.1.0 declared=false features=[basic_erp legacy_fees]
	// v2.0.0 declared=true features=[basic_erp enhanced_fees]
	// a tenant with legacy_fees cannot move to v2.0.0, it lacks [legacy_fees]
	// herd.yaml:8: releases.v2.0.0: breaking_changes without a rollback_point: name the release tenants go back to
	// tenant/v1.1.0/002_drop_nickname.up.sql:2: DROP COLUMN in tenant migration v1.1.0/002_drop_nickname, but its release v1.1.0 is not marked breaking_changes (declare it under releases: with breaking_changes and a rollback_point)
	// warning: tenant/v1.1.0/002_drop_nickname.up.sql:1: tenant migration v1.1.0/002_drop_nickname has no down file: its release v1.1.0 is not breaking, so tenants may be rolled back from it to v1.0.0, which plan and migrate refuse without the down; add 002_drop_nickname.down.sql beside it, or mark v1.1.0 breaking_changes
}

func ExampleMatrix_OnTenant() {
	cfg, err := config.Parse([]byte(`control: sqlite:./control.db
servers: {default: "sqlite:./tenants"}
tenant_database: trust_{code}
migrations: ./migrations
releases:
  v1.0.0: {tenant: 1.0.0}
  v2.0.0: {tenant: 1.2.0}
`), "herd.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	m := release.New(cfg.Releases, nil)
	for _, v := range []string{"0.9.0", "1.1.0", "1.2.0"} {
		r, ok := m.OnTenant(semver.MustParse(v))
		fmt.Printf("schema %s: on %q (%t)\n", v, r.Name, ok)
	}
	// Output:
	// schema 0.9.0: on "" (false)
	// schema 1.1.0: on "v1.0.0" (true)
	// schema 1.2.0: on "v2.0.0" (true)
}
