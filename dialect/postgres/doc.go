// Package postgres is herd's dialect for PostgreSQL, through pgx's
// database/sql adapter (github.com/jackc/pgx/v5/stdlib).
//
// # Tenancy
//
// A server's DSN is "postgres://user:password@host:port/database?params"
// (or "postgresql://…"); parameters are pgx's. With database-per-tenant
// tenancy, each tenant is a database on the server and Open connects to it;
// herd's tables live in its "public" schema. With schema-per-tenant
// tenancy, each tenant is a schema in the DSN's database, and Open returns a
// pool whose every connection has its search_path set to that schema at
// connect time. Control opens the DSN's database.
//
// Names longer than 63 bytes are refused: PostgreSQL would silently
// truncate them, and two tenants would share one database.
//
// # Connections
//
// Connections are made on first use, never by OpenServer. Each pool is
// bounded (four connections, two idle) because a server's max_connections
// is shared by every tenant pool herd opens on it. Pools keep pgx's
// default of preparing and caching each query, for Go migrations and for
// applications that open tenants through package router; herd's own
// queries on a tenant, which run once per connection, go unprepared
// instead (see Unprepared).
//
// # Locking
//
// The migration lock is a session advisory lock, pg_advisory_lock, taken on
// the caller's pinned connection. Its key is derived from "herd:", the
// connection's database and, for a tenant schema, the schema, so that each
// tenant database or schema locks independently.
//
// # Shadow migrations
//
// Change capture is one plpgsql row trigger function (and one for
// TRUNCATE) with a trigger per table; rows are synced as JSON documents
// (json_agg, json_populate_recordset), across schemas within each
// statement, between databases through two connections, in replica mode (session_replication_role, which needs a superuser or,
// on PostgreSQL 15 and later, SET on it); the write freeze is LOCK TABLE
// … IN SHARE MODE; table checksums sum hashtextextended per row. See
// docs/shadow.md.
package postgres
