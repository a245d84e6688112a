// Package drift compares a tenant's live schema with the reference schema
// of its version (what the migrations produce), names every difference,
// and tells the agreed ones (customisations, allowed by herd.yaml's rules)
// from drift.
//
// It is pure: the schemas come from a dialect.Inspector, and herd builds
// the reference on a scratch database and stores the results.
package drift
