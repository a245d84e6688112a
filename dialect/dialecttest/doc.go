// Package dialecttest is the suite every herd dialect must pass against a
// real server. A dialect package's test calls Run once per server
// configuration it supports:
//
//	func TestDialect(t *testing.T) {
//		dialecttest.Run(t, postgres.New(), dialect.ServerConfig{
//			Name: "pg", DSN: herdtest.PostgresDSN(t), Tenancy: dialect.SchemaPerTenant,
//		})
//	}
//
// Run covers identifier quoting and placeholders, the tenant lifecycle
// (Create, Exists, Open, Drop) and name checks, that an opened database is
// scoped to its tenant, the ledger DDL, the migration lock (exclusive per
// database, independent across databases, cancellable), transactional DDL
// as the dialect declares it, statement splitting by the right family, the
// control schema, that no error or redacted DSN shows a password, and
// snapshots: that the server is a dialect.Snapshotter and the dialect a
// dialect.Inspector, that a snapshot of the School ERP example's tenant
// (at v2.0.0, with sample rows) is consistent under concurrent writes, and
// that restoring it (twice) brings back its schema, rows and counters, as
// package snapshot verifies.
//
// The subtests run in parallel. Every database or schema they create has a
// unique name from herdtest.Name and is dropped when the test ends.
package dialecttest
