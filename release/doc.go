// Package release is herd's compatibility matrix: which system and tenant
// schema versions ship together as a release, which features each release
// offers, whether it breaks compatibility and where it rolls back to.
//
// A [Matrix] is built by [New] from the releases declared in herd.yaml (as
// config.Load returns them) and the schema versions found in the migration
// source. It reads no database; a Matrix is immutable and safe for
// concurrent use.
//
// # Releases
//
// Every schema version folder is a release, even when herd.yaml says nothing
// of it: a version V that no declared release names as its version, its
// system schema or its tenant schema becomes the undeclared release "vV",
// with system V and tenant V. Releases are in semver precedence order, so
// 2.1.0-dev comes before 2.1.0; a pre-release counts as experimental.
//
// # Features
//
// A release's features are its own (features:) plus those of the release
// before it, minus those it lists under removes:, so a removed feature stays
// removed until a later release lists it again. An undeclared release adds
// and removes nothing: it has the features of the release before it. A tenant may move to a release only when the release
// has every feature enabled for the tenant: [Release.Missing] lists those it
// lacks (the brief's canMigrate).
//
// # Which release a database is on
//
// A tenant whose schema is at version V is on the highest release whose
// tenant schema is at most V ([Matrix.OnTenant]); below the first release's
// tenant schema, or never migrated, it is on none. Conversely a migration at
// schema version V belongs to the lowest release whose schema version for
// the migration's target (system or tenant) is at least V.
//
// # Lint
//
// [Lint] reports, each with its file and line, errors (which a later
// command would certainly trip on) and warnings (which may be meant); the
// full list is on Lint. Among the errors are a declared release with
// breaking_changes: true and no rollback_point, at the release's line in
// herd.yaml, and a destructive statement in an up script of a migration
// whose release is not marked breaking_changes, at the statement's first
// line. Findings.Locks are the statements of up scripts that hold a lock
// the application queues behind, or rewrite a table, by the rules of the
// engines that run them (an engine's locklint.Linter) and the rule every
// engine shares (an UPDATE or DELETE without WHERE): warnings the caller
// may treat as errors (herd lint --strict). A herd:allow comment allows a
// rule for its whole file when it opens the file, and for one statement
// when it is among that statement's comments.
//
// # System schemas
//
// A release that omits system: goes with the highest system schema version
// at or below its own version ([Matrix.SystemSchema]); so does an
// undeclared version folder. Every command that brings the system database
// to a release asks SystemSchema.
//
// # Down files
//
// Going back from a release to its rollback_point runs the down script of
// every migration above the rollback point's schema version, up to the
// release's ([Matrix.Spans]); Lint reports a migration there without a down
// file as an error. A release that is neither breaking nor has a
// rollback_point is compatible, and tenants may be rolled back from it to
// the release before it: a missing down file there is a warning.
//
// A destructive statement is one that begins (after comments) with:
//
//   - DROP [TEMPORARY|TEMP] TABLE, whatever follows (IF EXISTS, a temporary
//     table: a drop is a drop);
//   - RENAME TABLE (MySQL);
//   - ALTER [ONLINE|IGNORE] TABLE name, one of whose comma-separated actions
//     is DROP [COLUMN] x (not DROP CONSTRAINT, INDEX, KEY, PRIMARY KEY,
//     FOREIGN KEY, CHECK, PARTITION or DEFAULT), RENAME TO|AS x (the table),
//     RENAME [COLUMN] a TO b (a column; not RENAME INDEX, KEY or
//     CONSTRAINT) or MySQL's RENAME x (the table).
//
// DROP INDEX, DROP TRIGGER, DROP VIEW and other objects are not destructive
// here: they lose no data. Nor is a statement that merely contains such
// words: keywords are matched case-insensitively on the statement's tokens,
// read by the rules of the script's engine, so comments, string literals
// ('drop table x'), quoted identifiers and dollar-quoted bodies never count,
// nor does SQL inside a trigger or routine body, nor MySQL's CHANGE COLUMN.
// A statement is what the engine's splitter returns: a whole CREATE
// PROCEDURE … BEGIN … END under DELIMITER, a $$ body or a SQLite trigger's
// BEGIN … END is one statement, and what its body holds is never
// top-level. An engine override file is read as its engine, and a plain up
// script as each engine the source serves (source.Options.Engines, which
// herd takes from the servers in herd.yaml) that has no override: a MySQL
// script read as PostgreSQL would split at every semicolon of a
// procedure's body. The same problem is reported once. Down scripts, which undo
// their migration, are not checked.
package release
