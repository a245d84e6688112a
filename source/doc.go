// Package source reads herd's migrations from any fs.FS and checks them
// before anything runs.
//
// # Layout
//
// A source holds two targets, each with one folder per schema version:
//
//	system/v1.0.0/001_create_tenants.up.sql     the control (system) database
//	tenant/v1.0.0/001_create_students.up.sql    every tenant database
//	tenant/v1.0.0/001_create_students.down.sql  optional: how to take it back
//	tenant/v1.1.0/004_add_fees.validate.sql     optional: checks after up
//	tenant/v1.1.0/004_add_fees.postgres.up.sql  optional: one engine's override
//
// A migration is identified by its version, sequence number and name
// ("v1.1.0/004_add_fees"); sequence numbers rise across versions. Go
// migrations (GoMigration) join the SQL files through Options.Go.
//
// # Metadata
//
// An up file may declare, in its leading comment lines, what kind of
// migration it is, that it runs outside a transaction, what it depends on,
// and which lint rules it means to break (see Meta).
//
// # Checks
//
// Load checks every file against the engines it must serve, which the
// caller gives it (an Engine is a name and a lexer; herd passes its
// dialects): names, ordering, dependencies, and that each script splits
// into statements by the rules of each engine that runs it. The source
// knows no engine of its own: an override's suffix must name an engine
// it serves or one of Options.Known. It reports every problem at once, each with its
// file and line (*Error), and returns no Source when there is any. A
// loaded Source is immutable and safe for concurrent use; checksums are
// computed per engine, so an override changes only its engine's checksum.
package source
