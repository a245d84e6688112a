// Package rollout brings a set of tenants to a release gradually and
// durably: the system database first, then waves of tenants in batches,
// with concurrency limits overall and per server, a failure budget per
// wave, maintenance windows, and automatic rollback of a tenant whose
// migration fails. Every step is recorded in the control database before
// and after it happens, and tenants are claimed through leases that expire
// by the control database's clock, so a rollout killed at any instant
// resumes with every tenant migrated exactly once, and several runner
// processes can share one rollout.
package rollout
