// Package herd versions and migrates the schemas of a fleet of tenant
// databases: one control database that knows every tenant and its schema
// version, and one database (or PostgreSQL schema) per tenant, on SQLite,
// PostgreSQL or MySQL/MariaDB.
//
// # Opening a fleet
//
// A Fleet is opened from a herd.yaml (package config) and the engines the
// application wires in explicitly — herd has no global registry:
//
//	cfg, err := config.Load("herd.yaml")
//	dialects := []herd.Dialect{sqlite.New(), postgres.New(), mysql.New()}
//	fleet, err := herd.Open(ctx, cfg, dialects, herd.Options{})
//	defer fleet.Close()
//
// # Migrating
//
// Migrate brings one database (SystemRef(), or TenantRef of a code) to a
// version, MigrateAll the system database and then every
// tenant with bounded concurrency; Plan shows the path without writing. Each database is migrated under its own
// lock on one pinned connection; every step is written to the database's
// own ledger (herd_schema_migrations) and to the control database's
// database_migration_history, and the database's row of
// database_schema_versions says where it stands.
//
// # Adopting a fleet
//
// A fleet that another tool migrated comes in without a migration run:
// DiscoverTenants lists a server's databases that match the naming
// pattern, ImportTenants registers tenants from a CSV or JSON-lines file
// (checked whole first), and Baseline reads each tenant's goose,
// golang-migrate or Flyway ledger (or compares its schema with a
// version's reference, ToolNone) and records herd's ledger and history
// as if herd had applied those migrations.
//
// # Releases and canMigrate
//
// herd.yaml's releases are the compatibility matrix (Releases, package
// release): what system and tenant schema versions ship together and which
// features each release offers. A tenant's enabled features live in its
// registry entry (TenantSpec.Features, SetTenant); a plan to a version
// whose release lacks one of them is refused (plan.MissingFeatures), and
// a rollout skips such a tenant with the reason.
//
// # Rollouts
//
// Rollouts returns a rollout.Manager: phase 1 migrates the system
// database and records the rollout in the control database, phase 2 works
// through waves of tenants under leases, so that any number of runners
// share the work and a run killed at any instant resumes exactly once.
//
// # Environments
//
// Config.InEnvironment gives the view of herd.yaml for one environment
// (its own control database and allow_experimental). CheckRelease refuses
// a release there until it has completed in the environment named by
// after:, and refuses experimental releases where they are not allowed.
//
// # Feature flags
//
// herd.yaml's flags are evaluated by package flags, a pure function of
// the flag and the tenant (code, tier, schema version) with overrides from
// the control database: version gate, override, tier, beta list, then a
// percentage bucket that is the one Unleash computes (MurmurHash3 of
// "FLAG:TENANT", seed 0, modulo 100, plus 1), so it is stable across
// processes and languages and monotonic. EvaluateFlag answers from the
// control database; FlagSnapshot takes a copy to evaluate from in memory.
// Applications use package router instead, which keeps that snapshot
// fresh, or ask herd serve over OFREP.
//
// # Reading the fleet
//
// What the CLI shows, an embedding program reads through the same typed
// methods: Status (every database's version and status), TenantDetail
// (a tenant with its version and history), Version, History and
// HistoryPage (one database's), RolloutReport (a rollout with its tenants,
// their maintenance windows judged by Options.Now), Releases, Snapshots
// and FlagRules. Their types are defined, or aliased, in this
// package (Ref, Tenant, VersionState, RolloutItem, ...), so a program
// needs no other of herd's packages to call a Fleet. The project's own
// files have functions of their own that touch no database: Init,
// NewMigration and Lint.
//
// # Errors
//
// Errors caused by the caller's input — a malformed source, an unknown
// tenant or version, a plan that policy refuses — satisfy IsInputError;
// *InputError is the one type herd and the packages it builds on return
// for them. The CLI exits 2 on them and 1 on database failures.
package herd
