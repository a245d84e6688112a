// Package schoolerp is herd's School ERP example project: one control
// (system) database and one database per school trust, versioned through
// three releases (v1.0.0, v1.1.0, v2.0.0) on SQLite, PostgreSQL and MySQL.
//
// The project is a directory of plain files: herd.yaml (servers, naming and
// the release compatibility matrix), migrations/system and migrations/tenant
// (SQL migrations, one folder per schema version, with .postgres/.mysql
// overrides where the engines differ), and demo/seed.sqlite.sql (sample rows
// that `herd demo` loads into each tenant at v1.0.0). The files are embedded,
// so the herd binary carries the example with it.
package schoolerp
