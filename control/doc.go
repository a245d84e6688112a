// Package control is herd's control database: the tenant registry, each
// database's schema version and migration status (the brief's
// database_schema_versions), the migration history
// (database_migration_history), rollouts, snapshots, flag overrides and
// the audit log. It stores and reads fleet state and knows nothing of how
// migrations run.
//
// A Reader reads the control database (what status, the router and the
// server need); a Store is a Reader that also writes, and that Open
// brings the control schema up to date for. Every query is one of the
// dialect's control queries (dialect.Dialect.ControlQueries), written out
// in full per engine and looked up by name when the Reader is made. The
// control schema's own migrations (dialect.Dialect.ControlSchema) run in
// Open, recorded in the ledger table herd_control_migrations.
package control
