// Package execute applies a plan to one database: under the database's
// lock, on one pinned connection, each migration in a transaction where the
// engine allows it, with the ledger row written in the same transaction.
// Where a migration cannot run in a transaction (MySQL DDL, or a migration
// marked herd:no-transaction) it follows a dirty protocol: statement k is
// recorded as started before it runs and as done after, so a failure or a
// kill leaves a precise record that herd repair acts on.
package execute
