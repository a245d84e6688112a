// Package router is what an application imports to find its tenants and
// their features: it resolves a tenant's code to where its data lives (a
// Target: server, engine, DSN, database or schema, schema version) and
// evaluates herd's feature flags for it, in-process, from a cached copy of
// herd's control database.
//
//	r, err := router.Open(ctx, cfg, []dialect.Dialect{sqlite.New(), postgres.New()}, router.Options{})
//	if err != nil { … }
//	defer r.Close()
//
//	t, err := r.Resolve(ctx, "oakfield")                   // where oakfield's data lives
//	on, err := r.Enabled(ctx, "new_gradebook", "oakfield") // may oakfield use it?
//
// The application never migrates anything through the router: Open
// attaches to the control database for reading (control.Attach) and
// refuses one whose control schema herd has not brought to
// control.AttachVersion, saying to run herd migrate --system.
//
// # Caching
//
// A Router answers every Resolve, Enabled and Evaluate from an immutable
// in-memory snapshot: every tenant's registry entry and schema version,
// and a flags.Snapshot of herd.yaml's flags with every override. A call
// is a map lookup (and, for flags, the evaluation of package flags): no
// database round trip, no lock and no allocation unless it fails. The
// snapshot is built with three queries (tenants, versions, overrides)
// when the router opens and whenever the control database has changed.
//
// # Invalidation
//
// herd's control database keeps a change counter, its generation
// (control.Store.Generation), which every write that a snapshot depends on
// moves in the same transaction: registering or removing a tenant, every
// change of a tenant's schema version or migration status, and setting or
// clearing a flag override. Every Options.Refresh (two seconds by default)
// the router reads that counter, one primary-key lookup; when it moved, the
// router loads a new snapshot and swaps it in atomically. Calls in
// progress finish on the old snapshot and later calls see the new one;
// none waits for a reload. So an application sees a migrated tenant, a
// new tenant or an override within about one Refresh of herd committing
// it, and an idle fleet costs one tiny query per Refresh.
//
// The counter is read before the snapshot's tables, so a change committed
// while a snapshot loads is either in it or moves the counter past it,
// and the next refresh loads again: the router may serve one stale answer
// for a Refresh, never a change it will not pick up.
//
// Refresh refreshes at once; with Options.Refresh negative no poller runs
// and only Refresh does (tests use this to refresh deterministically).
//
// # Failures
//
// When the control database cannot be read, the router keeps serving its
// last snapshot, logs the failure (the first at once, then once a minute
// while it lasts, then the recovery) and tries again every Refresh;
// LastRefresh tells how old the answers may be. Open itself fails when
// the first snapshot cannot be loaded: there is nothing to serve yet.
//
// # Secrets
//
// A Target's DSN is the server's DSN from herd.yaml and may hold a
// password. Target's String, GoString, LogValue and MarshalJSON redact
// it, so a Target can be printed, logged with log/slog or sent as JSON;
// only the DSN field holds the secret, for connecting.
//
// # Connecting
//
// Target says where a tenant lives; OpenTenant opens a pool there through
// the server's engine, exactly as herd does (on SQLite, the file
// Database.db in the server's folder; on PostgreSQL with a schema per
// tenant, the DSN's database with search_path set to Schema). Keep the
// pool while Resolve returns the same server and database.
package router
