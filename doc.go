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
//	fleet, err := herd.Open(ctx, cfg, herd.Options{
//		Dialects: []dialect.Dialect{sqlite.New(), postgres.New(), mysql.New()},
//	})
//	defer fleet.Close()
//
// # Migrating
//
// MigrateSystem brings the system (control) database to a version,
// MigrateTenant one tenant, MigrateAll the system database and then every
// tenant with bounded concurrency. Each database is migrated under its own
// lock on one pinned connection; every step is written to the database's
// own ledger (herd_schema_migrations) and to the control database's
// database_migration_history, and the database's row of
// database_schema_versions says where it stands.
//
// # Errors
//
// Errors caused by the caller's input — a malformed source, an unknown
// tenant or version, a plan that policy refuses — satisfy IsInputError; the
// CLI exits 2 on them and 1 on database failures.
package herd
