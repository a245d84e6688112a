// Package bench measures what herd's durability and bookkeeping cost. It
// migrates a scratch fleet of School ERP tenants (examples/school-erp) with
// herd, and applies the same SQL to a second fleet of the same size, with
// the same concurrency, through a minimal loop with no bookkeeping: the
// floor. It reports tenants per second for both and the ratio of herd's
// wall time to the floor's.
//
// # Operations
//
// Options.Operation says what herd does, and the floor with it:
//
//   - MigrateUp (the default): `herd migrate --all` from empty to the latest
//     tenant schema version; the floor applies every release's up scripts.
//   - MigrateDown: `herd migrate --all --to` the previous version, from the
//     latest; the floor applies the newest release's down scripts, last
//     migration first.
//   - RolloutUp and RolloutDown: the same two moves as `herd rollout start
//     --to VERSION` run to the end (phase 1, then the waves of a herd.yaml
//     without waves or releases: one wave of every tenant, no snapshots).
//
// For the two downward operations both fleets are first brought to the
// latest version, untimed.
//
// # What is timed
//
// Before either side is timed, every tenant database of both fleets is
// created through the dialect's Server.Create, herd's tenants are
// registered (herd.Fleet.AddTenant) and analysed (herd.Fleet.AnalyzeTenants,
// under a herd.yaml whose large_tenants makes a tenant large at 1,000,000
// rows, so that these small tenants run the chunked backfill whole, as one
// statement), and herd's system database is migrated to the latest system
// version. The timed sections are then:
//
//   - herd: herd.Open on the prepared configuration (not timed), then
//     Fleet.MigrateAll(ctx, "", concurrency), with herd's default
//     durability and bookkeeping: the per-database lock, the ledger, the
//     validate scripts, the control database's version rows, history and
//     audit log. MigrateAll visits the system database first; it is
//     already current, so that visit (its lock, ledger and history reads
//     and one version-row write) is all the system work in the section.
//   - floor: concurrency workers over the tenants; for each, open its pool
//     (Server.Open), then for each release run that schema version's up
//     statements (the engine's override file, else the plain one, cut by
//     the dialect's Split, split before timing; a chunked migration's
//     statement as one range over every integer key) in one transaction, and
//     close the pool. No lock, no ledger, no validation, no control
//     database. On MySQL the DDL commits implicitly, as it does under herd.
//
// Each run builds both fleets afresh and times the two sides one after the
// other, alternating which goes first; the databases are dropped after
// every run and again, whatever remains, when Run returns, even on error.
//
// # Backfills
//
// RunBackfill (`herd bench --backfill`) times instead one data migration
// over one large table. Each run fills three students tables of
// Options.Rows rows (integer key id, name, grade, custom_fields and the
// witness touched), untimed, one per side, from cross joins of a table of
// digits in SQL every engine runs. Each side then sets custom_fields and
// increments touched on every row:
//
//   - floor: one UPDATE of the whole table in one transaction, through
//     database/sql.
//   - herd: a herd project whose tenant v1.0.0 makes the tables and whose
//     v1.1.0 is the backfill as a chunked migration (`-- herd:chunked
//     table=students key=id size=Options.ChunkSize target=Options.Target`,
//     pause=Options.Pause when set), migrated for its one tenant with
//     Fleet.Migrate, as `herd migrate --tenant` does; herd.Open is not
//     timed.
//   - offset: the brief's largeTenantMigration, without its 100 ms delay:
//     COUNT(*) the rows, then for each offset from 0 by ChunkSize one
//     UPDATE of the rows whose id is in the page `ORDER BY id LIMIT size
//     OFFSET k` (through a derived table, which MySQL needs), each page in
//     a transaction of its own.
//
// While each side runs, a writer on a connection of its own updates the
// grade of a random student every WriterInterval, with every lock wait
// bounded by an hour rather than the engine's default, and records how
// long each statement took: its p50, p99 and maximum are reported per
// side. After each side the run fails unless every row's touched is 1.
// The sides go in the order floor, herd, offset, the next run starting one
// further along; their databases are dropped after every run, also on
// error. The ratios are herd's throughput over the floor's and the OFFSET
// side's wall time over herd's, each taken within a run, then the median
// over the runs.
//
// # Shadow migrations
//
// RunShadow (`herd bench --shadow`) times one migration of a tenant two
// ways: in place (Fleet.Migrate, as `herd migrate --tenant` does) and by
// shadow migration (Fleet.MigrateShadow, as `herd migrate --tenant
// --strategy shadow` does). Each run makes a control database and two
// tenants, one per side, migrated to v1.0.0 and filled with Options.Rows
// students (the backfill benchmark's table), untimed. The timed migration,
// to v1.1.0, changes the type of students.grade from INT to BIGINT, which
// rewrites the table (PostgreSQL's ALTER COLUMN TYPE, under an ACCESS
// EXCLUSIVE lock; MySQL's ALTER TABLE by copy; on SQLite a rebuild in a
// new table), then backfills custom_fields as a chunked migration under
// the backfill benchmark's header (in place it runs in chunks; on the
// shadow, whole, as herd runs it there).
//
// While each side runs, a reader on a router (router.Open, refreshing every
// router.DefaultRefresh, as an application would) reads a random student
// every ClientInterval, keeping a pool on the tenant's database until the
// router names another; during the shadow migration a writer on the same
// terms inserts a student or updates one's grade, in turn, every
// ClientInterval, sends nothing while the router reports the tenant
// ReadOnly, and refreshes the router when the tenant's old database,
// sealed by the switch, refuses a write (router.Moved). Both go on for a refresh and a half second after the migration,
// so that they follow the switch. A statement's time counts from its tick,
// opening a pool included: the longest is the read stall. The shadow
// migration's phases are taken from herd's shadow.* events (their
// Duration), and the write freeze from the shadow.freeze event to the
// shadow.switch event. After each side the run fails unless the tenant,
// as the router then finds it, is at v1.1.0 with every student backfilled
// once; the writer's inserts that it lacks are counted as lost.
//
// The sides alternate in order from run to run. The ratios are shadow's
// time and longest read over in place's, each within a run, then the
// median; the goals of issue 18 are judged on the medians.
//
// # The JSON API
//
// RunAPI (`herd bench --api`) times herd serve's JSON API instead: it
// registers Options.Tenants tenants (10,000 by default) in a scratch
// control database, straight in the registry (the API reads nothing else),
// serves the handler of package server on a loopback listener in this
// process, and sends Options.Rate requests a second for Options.Duration
// to GET /api/v1/tenants?limit=100 (APIPath) and then to GET /healthz
// (FloorPath, answered from memory: the floor of the HTTP stack and of the
// load generator), alternating which goes first from run to run. Each
// request leaves on schedule in its own goroutine, whether or not earlier
// ones have answered, and is timed from its send to its body's end. The
// figures are medians of the runs' p50, p95, p99 and max; the ratio is the
// median of the runs' p99 ratios; the goal (APIGoal) is judged on the
// median p99, and missed on any failed request.
//
// # Memory
//
// With Options.Spawn each side runs in its own process, started for each
// run, so the peak resident set size reported for a side is that process's
// own (VmHWM): herd's figure is what `herd migrate --all` would use. Without
// Spawn both sides run in this process and the peak is measured from a
// reset high-water mark (Linux), after returning free heap to the system;
// it then also counts what the process held before the side began.
package bench
