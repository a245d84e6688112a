// Package config loads and validates herd.yaml, the file that tells herd
// where its control database and tenant servers are, how tenant databases
// are named, where migrations live, which releases exist, how rollouts
// pace, probe, schedule and report their work, which feature flags exist,
// and which environments (each with its own control database) there are.
//
// # The file
//
//	control: sqlite:./herd-data/control.db      # required: control (and system) database
//	servers:                                    # required: at least one
//	  default: sqlite:./herd-data/tenants       # a DSN, or a mapping:
//	  shared: {dsn: "postgres://u:${PGPASSWORD}@db:5432/fleet", tenancy: schema}
//	default_server: default                     # optional with one server
//	tenant_database: school_erp_trust_{code}    # required: a-z, 0-9, _ and {code} once
//	migrations: ./migrations                    # required
//	allow_experimental: false
//	lock_timeout: 5s           # each lock wait of a migration statement; at least 1ms
//	lock_retries: 3            # tries after one that gave up on a lock; 0: none
//	shadow: {freeze_timeout: 2s, freeze_retries: 3, retain: 7d}   # migrate --strategy shadow's cut-over
//	customisations:            # what herd drift allows: rules for all tenants, a tier, a tenant
//	  all: [{table: "custom_*"}, {column: "*.x_*"}]
//	  tiers: {enterprise: [{index: "students.*"}]}
//	  tenants: {st_marys: [{column: students.house_colour}]}
//	on_conflict: refuse        # the pre-flight: refuse, adopt_identical or skip
//	drift_fresh: 15m           # a drift check this young spares the pre-flight's inspection (default 0: always inspect)
//	metrics: {per_tenant: false}   # herd serve's /metrics: true adds a series per tenant
//	releases:
//	  v1.0.0:
//	    system: 1.0.0          # default: the highest system schema at or below the release's version
//	    tenant: 1.0.0          # default: the release's version
//	    features: [basic_erp]
//	    removes: []            # features of earlier releases it removes
//	    breaking_changes: false
//	    rollback_point: null   # a lower declared release, or null
//	    experimental: false
//	rollout:                   # optional; the values are the defaults
//	  concurrency: 4           # at once, per runner
//	  per_server: 4            # of those, on one server; default: concurrency
//	  batch_size: 4            # default: concurrency
//	  pause_between_batches: 0s
//	  failure_budget: 0        # per wave: a count (2) or a percentage (10%)
//	  lease: 30s               # at least 3s; heartbeats every lease/3
//	  tenant_timeout: 30m
//	  bake_time: 0s
//	  probe_interval: 10s
//	  snapshots:               # or the policy alone: snapshots: required
//	    when: required         # always, required (older spelling: breaking), best_effort or never
//	    retain: {age: 7d}      # per tenant: count (its newest N), age (30d, 12h); {} keeps all
//	  waves:                   # default: one wave of every tenant
//	    - {name: canary, tenants: [demo_trust, test_trust]}
//	    - {name: premium, tiers: [premium, enterprise]}
//	    - {name: quarter, percent: 25, failure_budget: 10%}
//	    - {name: rest}         # only the last wave may have no selector
//	health_probes:
//	  sql: [{name: students_readable, query: "SELECT COUNT(*) >= 0 FROM students"}]
//	  http: "http://127.0.0.1:8080/health/{code}"
//	maintenance_windows:       # tenant's, else tier's, else default; none: always open
//	  default: {days: [mon, tue, wed, thu, fri], hours: "00:00-24:00", time_zone: UTC}
//	  tiers: {enterprise: {days: [sat, sun], hours: "01:00-05:00", time_zone: Asia/Kolkata}}
//	  tenants: {st_marys: {days: [sun], hours: "22:00-02:00", time_zone: Europe/London}}
//	webhooks:
//	  - url: "https://ops.example.com/herd"
//	    secret: ${HERD_WEBHOOK_SECRET}
//	    events: [rollout.started, tenant.failed, rollout.halted]   # default: every event
//	serve: {public_url: "https://herd.example.com"}   # links webhooks to tenants' upgrade calendars
//	flags:                     # names: a-z, 0-9, _, . and -
//	  enhanced_fee_system:
//	    required_version: 2.0.0               # required: tenant schema version, semver
//	    enabled_for: [premium, enterprise]    # tiers; default: every tier
//	    beta_tenants: [demo_trust, test_trust]
//	    rollout_percentage: 25                # a whole number, 0 (default) to 100
//	    description: Late fees and instalments
//	environments:              # optional; without --env the top-level control serves
//	  development: {control: "sqlite:./dev/control.db", allow_experimental: true}
//	  staging: {control: "postgres://herd:${PGPASSWORD}@db:5432/herd_staging", after: development}
//	  production: {control: "postgres://herd:${PGPASSWORD}@db:5432/herd_prod", after: staging}
//
// DSNs, the top-level control and each environment's alike, start with
// sqlite:, postgres:// or mysql://. ${NAME} in a DSN is replaced by the
// environment variable NAME; an unset variable is an error. So are webhook
// URLs and secrets. A relative sqlite: path and the migrations folder are
// resolved against the folder of the file.
//
// # Errors
//
// Parsing is strict: unknown and duplicate keys are errors. Every problem
// found is reported at once, in an *Error whose lines read
//
//	herd.yaml:12: servers.pg: dsn must start with sqlite:, postgres:// or mysql://
//
// Messages never contain a DSN's password or a webhook's secret; RedactDSN
// and RedactURL hide them wherever a DSN or a webhook URL must be shown.
//
// # Time zones
//
// Maintenance windows name IANA time zones, loaded with time.LoadLocation
// from the system's zoneinfo. This package does not embed the zone
// database: as package time/tzdata advises, that is for a program's main
// package to decide. A program that runs where there is no zoneinfo (a
// scratch container) should import _ "time/tzdata" in its main package or
// build with -tags timetzdata.
package config
