// Package flags evaluates herd's feature flags: whether a tenant may use a
// feature, given the flag declared in herd.yaml (a config.Flag), what herd
// knows of the tenant (its code, tier and schema version) and the tenant's
// override, if any.
//
// Evaluation is a pure function: no clock, no randomness, no I/O and no
// state. The same flag, tenant and override give the same answer in every
// process, on every machine and, by the bucket rule below, in any language.
// Every function of the package is safe for concurrent use.
//
// # Order
//
// Evaluate applies these rules in order; the first that decides gives the
// Result's Reason:
//
//  1. Version gate. A tenant whose schema version is below the flag's
//     required_version, by semver precedence, is off (ReasonVersionGate).
//     Pre-releases count: 2.1.0-dev is below 2.1.0, so a tenant on the
//     development build of 2.1.0 does not get a feature that needs 2.1.0.
//     Build metadata (+build.5) is ignored. A tenant with no schema version
//     is off for every flag. Nothing overrides the gate: a feature must not
//     run on a schema that lacks what it needs.
//  2. Override. A per-tenant override, which the caller keeps (herd keeps
//     them in the control database), turns the flag on (ReasonOverrideOn)
//     or off (ReasonOverrideOff), whatever the rules below say.
//  3. Tier. When the flag's enabled_for is not empty, a tenant whose tier is
//     not in it is off (ReasonTier), beta tenant or not.
//  4. Beta. A tenant in the flag's beta_tenants is on (ReasonBeta), whatever
//     the rollout percentage.
//  5. Percentage. Any other tenant is on when its bucket, a number from 1
//     to 100, is at most the flag's rollout_percentage
//     (ReasonPercentageOn), and off otherwise (ReasonPercentageOff).
//
// # Buckets
//
// A tenant's bucket for a flag is Unleash's gradual rollout bucket
// ("normalizedValue"), with the flag's name as the group id and the
// tenant's code as the stickiness value:
//
//	bucket = MurmurHash3_x86_32(FLAG + ":" + TENANT, seed 0) % 100 + 1
//
// where the hash is of the UTF-8 bytes and read as an unsigned 32-bit
// number. So a team that knows Unleash can predict herd's buckets, and an
// Unleash flexibleRollout strategy with groupId FLAG, stickiness on a
// context field holding the tenant code and the same percentage selects
// the same tenants. In Python, with the mmh3 package, a bucket is
// mmh3.hash(f"{flag}:{tenant}", 0, signed=False) % 100 + 1.
//
// Because a tenant's bucket does not depend on the percentage, raising a
// rollout from 25% to 50% keeps every tenant that 25% enabled and adds
// others; lowering it removes the most recently added first. Each flag
// hashes its own name, so the first 25% of one flag are not the first 25%
// of another.
//
// # Percentages
//
// Buckets are whole numbers, so rollouts move in steps of 1%. herd.yaml
// accepts whole percentages only (config rejects 25.5). A config.Flag built
// by hand may hold a fraction; Evaluate then compares the bucket with it as
// it is, so 25.5 acts as 25. A percentage of 0 or below enables no tenant
// by percentage, and one of 100 or above enables every tenant that the
// rules before it let through.
//
// # Snapshots
//
// A Snapshot holds the declared flags, what herd knows of every tenant and
// every override, as one immutable value that answers by flag name and
// tenant code. herd's Fleet.FlagSnapshot builds one from the control
// database, and package router keeps one current for an application;
// anyone holding the three parts can build one with NewSnapshot.
//
// # Cost
//
// Evaluate and Enabled do not allocate, on any rule path, as long as the
// flag's name and the tenant's code together take less than 128 bytes
// (tenant codes take at most 48); neither does a Snapshot's lookup of a
// flag and a tenant. A Result carries what its rule looked at (versions,
// tier, bucket, percentage) rather than words: Result.Detail formats
// them on demand, with one small allocation when they carry a version, a
// tier or a bucket, and Result.AppendDetail into a buffer of the
// caller's without one.
package flags
