// Package config loads and validates herd.yaml, the file that tells herd
// where its control database and tenant servers are, how tenant databases
// are named, where migrations live and which releases exist.
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
//	releases:
//	  v1.0.0:
//	    system: 1.0.0          # default: the release's version
//	    tenant: 1.0.0          # default: the release's version
//	    features: [basic_erp]
//	    removes: []            # features of earlier releases it removes
//	    breaking_changes: false
//	    rollback_point: null   # a lower declared release, or null
//	    experimental: false
//
// DSNs start with sqlite:, postgres:// or mysql://. ${NAME} in a DSN is
// replaced by the environment variable NAME; an unset variable is an error.
// A relative sqlite: path and the migrations folder are resolved against
// the folder of the file.
//
// # Errors
//
// Parsing is strict: unknown and duplicate keys are errors. Every problem
// found is reported at once, in an *Error whose lines read
//
//	herd.yaml:12: servers.pg: dsn must start with sqlite:, postgres:// or mysql://
//
// Messages never contain a DSN's password; RedactDSN hides it wherever a
// DSN must be shown.
package config
