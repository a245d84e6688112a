package config

// Template returns the commented herd.yaml that `herd init` writes. It
// works as is on SQLite, with the control database and the tenant folder
// under ./herd-data beside the file and migrations in ./migrations; its
// comments explain every key and show, commented out, a PostgreSQL server,
// a schema-per-tenant server, a MySQL server, a release, the rollout,
// health_probes, maintenance_windows, webhooks and serve sections (their
// settings at their defaults), and the flags and environments sections.
func Template() string {
	return templateYAML
}

const templateYAML = `# herd.yaml: how herd reaches your databases and what your releases are.
# Relative paths are relative to this file's folder. In DSNs, ${NAME} is
# replaced by the environment variable NAME (herd refuses to start when it is
# not set), so passwords need not be written here.

# The control database: herd's fleet state (tenants, versions, history,
# rollouts) and your application's system database, migrated from
# migrations/system/. A DSN: sqlite:PATH, postgres://… or mysql://….
control: sqlite:./herd-data/control.db

# The servers that hold tenant databases, by name (a-z, 0-9, _ and -).
# A value is a DSN, or a mapping with dsn and tenancy:
#   tenancy: database   one database per tenant (the default)
#   tenancy: schema     one schema per tenant, in the DSN's database
#                       (PostgreSQL only)
#   throttle: {query: "SELECT …", max: 5, interval: 1s}
#                       chunked migrations wait before each range while
#                       the query's number (replica lag, say) is over max
# For SQLite the DSN names a folder that holds one file per tenant.
servers:
  default: sqlite:./herd-data/tenants
  # pg: postgres://herd:${PGPASSWORD}@127.0.0.1:5432/postgres
  # shared: {dsn: "postgres://herd:${PGPASSWORD}@127.0.0.1:5432/fleet", tenancy: schema}
  # mysql: mysql://herd:${MYSQL_PASSWORD}@127.0.0.1:3306/mysql

# The server new tenants go to. Optional while there is only one server.
default_server: default

# The name of a tenant's database (or schema): {code} is the tenant's code.
# Use a-z, 0-9 and _ around it. Mind the engines' limits on the rendered
# name: 63 characters on PostgreSQL, 64 on MySQL.
tenant_database: tenant_{code}

# The migrations folder: system/vX.Y.Z/ and tenant/vX.Y.Z/ inside.
migrations: ./migrations

# Allow pre-release versions (2.1.0-dev) and releases marked experimental.
allow_experimental: false

# The releases: what ships together, by version (v1.2.0 or 1.2.0).
releases:
  # v1.0.0:
  #   system: 1.0.0            # system schema version; default: the highest at or below the release's version
  #   tenant: 1.0.0            # tenant schema version; default: the release's version
  #   features: [basic_erp]    # features this release adds
  #   removes: []              # features of earlier releases this one removes
  #   breaking_changes: false  # breaks compatibility with the previous release
  #   rollback_point: null     # the lower release one can go back to, or null
  #   experimental: false      # used only where allow_experimental is true

# How rollouts pace, guard and schedule their work. Every key is optional;
# the values below are the defaults. Durations are written 30s, 5m, 1h30m.
# A wave selects its tenants, from those earlier waves left, by one of
# tenants (codes), tiers, sizes (large, small or unknown, see large_tenants)
# or percent (a stable share); only the last wave may select by none, and it
# takes every tenant left. Without waves, a rollout
# is one wave of every selected tenant.
# rollout:
#   concurrency: 4              # tenants migrated at once across the fleet
#   per_server: 4               # at once on one server; default: concurrency
#   batch_size: 4               # tenants per batch; default: concurrency
#   pause_between_batches: 0s   # wait between two batches
#   failure_budget: 0           # failures a wave tolerates, 2 or 10%; 0: the first halts the rollout
#   lease: 30s                  # a runner's claim on a tenant (at least 3s); heartbeats every lease/3
#   tenant_timeout: 30m         # a tenant's migration that runs longer is rolled back
#   bake_time: 0s               # how long health probes keep running after a tenant's migration
#   probe_interval: 10s         # between two rounds of probes during the bake time
#   snapshots:                  # or only the policy, as in snapshots: required
#     when: required            # always; required (releases with breaking_changes; older spelling breaking); best_effort (the same, migrating anyway when down migrations can undo it); never
#     retain: {age: 7d}         # per tenant; count: 3 keeps its 3 newest, age: 30d drops older ones; {} keeps all
#   waves:
#     - name: canary
#       tenants: [demo_trust, test_trust]
#     - name: premium
#       tiers: [premium, enterprise]
#     - name: quarter
#       percent: 25             # a stable 25% of the tenants still left
#       failure_budget: 10%     # this wave's own budget
#     - name: rest              # no selector: every tenant left

# Which tenants are large, by the figures herd analyze last recorded (row
# estimates are as fresh as the engine's last ANALYZE): a tenant is large at
# or above either threshold, small below both, unknown before its first
# analysis. bytes takes units: 500MB, 10GiB. Selectors take size=large and
# waves sizes: [large], so a rollout can take the large tenants last.
# large_tenants:
#   rows: 1000000
#   bytes: 10GiB
#   concurrency: 1              # large tenants at once per rollout runner, beside the small ones

# Agreed customisations: differences from the reference schema of a
# tenant's version that herd drift reports as customisations, not drift.
# A rule names one kind of object (table, column, primary_key, index,
# foreign_key, check, view) and a pattern; anything on a table is
# TABLE.NAME.
# customisations:
#   all: [{table: "custom_*"}]
#   tiers: {enterprise: [{index: "students.*"}]}
#   tenants: {st_marys: [{column: students.house_colour}]}

# Before a tenant's pending migrations run, herd rehearses them on a copy of
# its schema without rows: refuse (the default) fails a tenant whose
# customisations conflict with them before anything changes;
# adopt_identical takes a statement that creates what the tenant already
# holds identically as done; skip runs no pre-flight.
# on_conflict: refuse
# A drift check that found a tenant at its version's reference, younger
# than drift_fresh, spares the pre-flight inspecting it again: faster
# rollbacks, but a change made by hand since is met by the run, not the
# pre-flight (0, the default: always inspect).
# drift_fresh: 15m

# Health probes judge a tenant after its migration and during the bake
# time; a failed probe rolls the tenant back. Each SQL probe runs against
# the tenant database and must return one row holding true. The HTTP probe
# is a GET; {code} is replaced by the tenant code; a 2xx answer is healthy.
# health_probes:
#   sql:
#     - name: students_readable
#       query: SELECT COUNT(*) >= 0 FROM students
#   http: "http://127.0.0.1:8080/health/{code}"

# When a rollout may touch a tenant: its own window, else its tier's, else
# the default; without any, at any time. days: mon … sun (default every
# day); hours: "HH:MM-HH:MM" on the zone's wall clock, ending at 24:00 or
# wrapping past midnight ("22:00-02:00" closes on the next day); time_zone:
# an IANA name (default UTC).
# maintenance_windows:
#   default: {days: [mon, tue, wed, thu, fri, sat, sun], hours: "00:00-24:00", time_zone: UTC}
#   tiers:
#     enterprise: {days: [sat, sun], hours: "01:00-05:00", time_zone: Asia/Kolkata}
#   tenants:
#     st_marys: {days: [sun], hours: "22:00-02:00", time_zone: Europe/London}

# Webhooks receive rollout and tenant events as signed JSON POSTs: the
# X-Herd-Signature header is sha256=HMAC-SHA256(secret, timestamp + "." +
# body), hex. ${NAME} in url and secret is replaced like in DSNs. events:
# default every fleet event; rollout.started, wave.started, tenant.started,
# tenant.migrated, tenant.done, tenant.failed, tenant.skipped, tenant.rolled_back,
# tenant.maintenance_planned, rollout.halted, rollout.paused,
# rollout.completed, rollout.completed_with_failures.
# webhooks:
#   - url: "https://ops.example.com/herd"
#     secret: ${HERD_WEBHOOK_SECRET}
#     events: [rollout.started, tenant.failed, tenant.rolled_back, rollout.halted, rollout.completed]

# Where people and their calendar applications reach herd serve (behind its
# proxy, if any): an absolute http(s) URL without user, query or fragment.
# With it, tenant.maintenance_planned webhooks carry the tenant's upgrade
# calendar, public_url + /calendar/{code}.ics.
# serve:
#   public_url: https://herd.example.com

# Feature flags tell your application which tenants may use a feature, by
# name (a-z, 0-9, _, . and -). For a tenant they are decided in this order:
# its schema version must be at least required_version (2.1.0-dev is below
# 2.1.0), or the flag is off; a per-tenant override, if one is set, turns
# it on or off; its tier must be in enabled_for (default: every tier); the
# beta_tenants are on; of the rest, rollout_percentage (a whole number from
# 0, the default, to 100) are on, picked by a stable hash of the flag and
# tenant names (Unleash's gradual rollout), so raising 25 to 50 keeps the
# first 25% on.
# flags:
#   enhanced_fee_system:
#     required_version: 2.0.0
#     enabled_for: [premium, enterprise]
#     beta_tenants: [demo_trust, test_trust]
#     rollout_percentage: 25
#     description: Late fees and instalments
#   advanced_reporting:
#     required_version: 2.1.0
#     enabled_for: [enterprise]

# Environments, by name (a-z, 0-9, _ and -): each has its own control
# database, which herd uses when given --env NAME; without --env, the
# control above serves. allow_experimental is the environment's own
# (default false; the top-level setting does not carry over). after names
# the environment a release must have completed in first.
# environments:
#   development:
#     control: sqlite:./herd-data/development.db
#     allow_experimental: true
#   staging:
#     control: postgres://herd:${PGPASSWORD}@127.0.0.1:5432/herd_staging
#     after: development
#   production:
#     control: postgres://herd:${PGPASSWORD}@127.0.0.1:5432/herd_prod
#     allow_experimental: false
#     after: staging
`
