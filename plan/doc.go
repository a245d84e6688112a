// Package plan computes the ordered path that takes one database from the
// migrations its ledger records to a target schema version, or the reason
// it must not. Planning is pure: it reads a source and a ledger and writes
// nothing.
package plan
