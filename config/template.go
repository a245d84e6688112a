package config

// Template returns the commented herd.yaml that `herd init` writes. It
// works as is on SQLite, with the control database and the tenant folder
// under ./herd-data beside the file and migrations in ./migrations; its
// comments explain every key and show, commented out, a PostgreSQL server,
// a schema-per-tenant server and a MySQL server.
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
  #   system: 1.0.0            # system schema version; default: the release's version
  #   tenant: 1.0.0            # tenant schema version; default: the release's version
  #   features: [basic_erp]    # features this release adds
  #   removes: []              # features of earlier releases this one removes
  #   breaking_changes: false  # breaks compatibility with the previous release
  #   rollback_point: null     # the lower release one can go back to, or null
  #   experimental: false      # used only where allow_experimental is true
`
