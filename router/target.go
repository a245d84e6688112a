package router

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// Target is where a tenant's data lives and what state its schema is in,
// as the control database said at the router's last refresh.
//
// DSN is the tenant's server's DSN from herd.yaml and may hold a password:
// String, GoString, LogValue and MarshalJSON show it redacted (see
// config.RedactDSN), so a Target may be printed and logged; only the DSN
// field itself holds the secret.
type Target struct {
	// Code is the tenant's code.
	Code string
	// Name is the tenant's display name.
	Name string
	// Tier is the tenant's tier, such as premium.
	Tier string
	// Server is the name, in herd.yaml, of the server that holds the
	// tenant.
	Server string
	// Engine is the server's engine: "sqlite", "postgres" or "mysql".
	Engine string
	// DSN is the server's DSN, as herd.yaml gives it (with ${VAR}
	// references expanded). It may hold a password.
	DSN string
	// Database is the tenant's database on the server, as the tenant
	// registry names it: a PostgreSQL or MySQL database, or on SQLite the
	// file Database.db in the server's folder. It is "" when the server
	// keeps one schema per tenant: the tenant is then Schema in the
	// database the DSN names.
	Database string
	// Schema is the tenant's PostgreSQL schema on a server with one schema
	// per tenant (tenancy: schema), and "" otherwise.
	Schema string
	// Version is the tenant's current schema version, the highest whose
	// migrations are all applied; nil when it was never migrated.
	Version *semver.Version
	// Status is the state of the tenant's last or current migration:
	// control.StatusPending, StatusRunning, StatusCompleted or
	// StatusFailed; "" when herd never planned one.
	Status control.Status
	// Release is the name of the latest release of herd.yaml whose tenant
	// schema version is Version; "" when none is.
	Release string
	// ReadOnly is set while a shadow migration's cut-over freezes the
	// tenant's writes (herd migrate --strategy shadow): reads go on,
	// writes wait on the server (at most shadow.freeze_timeout for the
	// freeze to begin, then until it ends). An application may refuse
	// writes meanwhile, or queue them.
	ReadOnly bool
	// MovingTo is, while ReadOnly, the database (or schema) on the same
	// server that the tenant moves to when the freeze ends with the
	// switch, should the migration succeed: an application may open a
	// pool on it ahead of the switch (Router.OpenMovingTo), so that its
	// first statements there find a connection. It is "" when the switch
	// keeps the tenant's name (PostgreSQL with a schema per tenant
	// renames: the pools in use follow it), and when not ReadOnly.
	MovingTo string
}

// String describes the target in one line, with the DSN's password
// redacted: `tenant "oakfield" on server main (postgres
// postgres://app:xxxxx@db:5432/erp, database erp_oakfield) at v1.1.0
// (completed)`.
func (t Target) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenant %q on server %s (%s %s", t.Code, t.Server, t.Engine, config.RedactDSN(t.DSN))
	if t.Schema != "" {
		fmt.Fprintf(&b, ", schema %s", t.Schema)
	} else {
		fmt.Fprintf(&b, ", database %s", t.Database)
	}
	b.WriteString(")")
	if t.Version != nil {
		fmt.Fprintf(&b, " at v%s", t.Version)
	} else {
		b.WriteString(" never migrated")
	}
	if t.Status != "" {
		fmt.Fprintf(&b, " (%s)", t.Status)
	}
	if t.ReadOnly {
		b.WriteString(" read-only")
	}
	return b.String()
}

// GoString is the %#v form: Go syntax, with the DSN's password redacted.
func (t Target) GoString() string {
	v := "nil"
	if t.Version != nil {
		v = fmt.Sprintf("semver.MustParse(%q)", t.Version.Original())
	}
	return fmt.Sprintf("router.Target{Code:%q, Name:%q, Tier:%q, Server:%q, Engine:%q, DSN:%q, Database:%q, Schema:%q, Version:%s, Status:%q, Release:%q}",
		t.Code, t.Name, t.Tier, t.Server, t.Engine, config.RedactDSN(t.DSN), t.Database, t.Schema, v, t.Status, t.Release)
}

// LogValue makes a logged Target a group of its fields, with the DSN's
// password redacted.
func (t Target) LogValue() slog.Value {
	version := ""
	if t.Version != nil {
		version = t.Version.String()
	}
	return slog.GroupValue(
		slog.String("code", t.Code),
		slog.String("name", t.Name),
		slog.String("tier", t.Tier),
		slog.String("server", t.Server),
		slog.String("engine", t.Engine),
		slog.String("dsn", config.RedactDSN(t.DSN)),
		slog.String("database", t.Database),
		slog.String("schema", t.Schema),
		slog.String("version", version),
		slog.String("status", string(t.Status)),
		slog.String("release", t.Release),
	)
}

// targetJSON is the JSON form of a Target.
type targetJSON struct {
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Tier     string         `json:"tier"`
	Server   string         `json:"server"`
	Engine   string         `json:"engine"`
	DSN      string         `json:"dsn"`
	Database string         `json:"database"`
	Schema   string         `json:"schema,omitempty"`
	Version  string         `json:"version"`
	Status   control.Status `json:"status"`
	Release  string         `json:"release,omitempty"`
}

// MarshalJSON writes the target as an object with snake_case keys, its
// DSN's password redacted and its version without the v ("" when none).
func (t Target) MarshalJSON() ([]byte, error) {
	j := targetJSON{Code: t.Code, Name: t.Name, Tier: t.Tier, Server: t.Server, Engine: t.Engine,
		DSN: config.RedactDSN(t.DSN), Database: t.Database, Schema: t.Schema, Status: t.Status, Release: t.Release}
	if t.Version != nil {
		j.Version = t.Version.String()
	}
	return json.Marshal(j)
}
