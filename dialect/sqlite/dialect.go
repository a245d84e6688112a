package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// MaxNameLength is the longest tenant name: a file name (255 bytes on
// common file systems) less the ".db-journal" and ".db.lock" suffixes,
// rounded down.
const MaxNameLength = 200

// Dialect is the SQLite engine. Its zero value is not usable; call New. It
// is safe for concurrent use.
type Dialect struct{}

var (
	_ dialect.Dialect          = (*Dialect)(nil)
	_ dialect.TransactionalDDL = (*Dialect)(nil)
	_ dialect.Files            = (*Dialect)(nil)
)

// New returns the SQLite dialect.
func New() *Dialect { return &Dialect{} }

// Name returns "sqlite".
func (d *Dialect) Name() string { return "sqlite" }

// QuoteIdent quotes name in double quotes, doubling any it contains.
func (d *Dialect) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Placeholder returns "?" for every n.
func (d *Dialect) Placeholder(int) string { return "?" }

// Split cuts script into statements by SQLite's lexical rules.
func (d *Dialect) Split(script string) ([]sqlsplit.Statement, error) {
	return sqlsplit.Split(script, sqlsplit.SQLite)
}

// Tokens returns the words of stmt by SQLite's lexical rules.
func (d *Dialect) Tokens(stmt string) ([]sqlsplit.Token, error) {
	return sqlsplit.Tokens(stmt, sqlsplit.SQLite)
}

// FileDSN returns "sqlite:" + path.
func (d *Dialect) FileDSN(path string) string { return "sqlite:" + path }

// TransactionalDDL reports true: SQLite's DDL rolls back with its
// transaction.
func (d *Dialect) TransactionalDDL() bool { return true }

// Upsert returns ON CONFLICT (key) DO UPDATE SET c = excluded.c, ….
func (d *Dialect) Upsert(key string, columns []string) string {
	return dialect.OnConflictUpdate(key, columns)
}

// CreateLedger returns the DDL of herd's ledger table named qualifiedTable.
func (d *Dialect) CreateLedger(qualifiedTable string) string {
	return fmt.Sprintf(ledgerDDL, qualifiedTable)
}

// ledgerDDL is short, and the table has no rowid, because SQLite parses
// this text each time it reads the database's schema: at every open, and
// again after each ALTER TABLE, so on every tenant herd migrates.
const ledgerDDL = `CREATE TABLE IF NOT EXISTS %s (
    migration_id TEXT NOT NULL PRIMARY KEY,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    checksum TEXT NOT NULL,
    state TEXT NOT NULL,
    direction TEXT NOT NULL,
    statements_total INT NOT NULL DEFAULT 0,
    statements_done INT NOT NULL DEFAULT 0,
    statement_started INT NOT NULL DEFAULT 0,
    error TEXT,
    applied_at TIMESTAMP NOT NULL,
    execution_ms INT NOT NULL DEFAULT 0,
    chunk_key TEXT,
    chunk_rows INT,
    note TEXT
) WITHOUT ROWID`

// UpgradeLedger returns the statements that add the columns a ledger
// made before chunked migrations, or before notes, lacks: one a column.
func (d *Dialect) UpgradeLedger(qualifiedTable string) []string {
	return []string{
		"ALTER TABLE " + qualifiedTable + " ADD COLUMN chunk_key TEXT",
		"ALTER TABLE " + qualifiedTable + " ADD COLUMN chunk_rows INT",
		"ALTER TABLE " + qualifiedTable + " ADD COLUMN note TEXT",
	}
}

//go:embed controlschema
var controlSchema embed.FS

//go:embed controlqueries.sql
var controlQueries string

// ControlQueries returns herd's named queries on its control database for
// SQLite.
func (d *Dialect) ControlQueries() string { return controlQueries }

// ControlSchema returns herd's control-database migrations for SQLite.
func (d *Dialect) ControlSchema() fs.FS {
	sub, err := fs.Sub(controlSchema, "controlschema")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}

// OpenServer checks the DSN ("sqlite:PATH") and returns the server. It
// touches no file: Create, Open and Control do. It fails when the DSN is
// not of that form or cfg asks for schema-per-tenant tenancy.
func (d *Dialect) OpenServer(_ context.Context, cfg dialect.ServerConfig) (dialect.Server, error) {
	path, params, err := parseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open server %q: %w", cfg.Name, err)
	}
	if cfg.Tenancy != "" && cfg.Tenancy != dialect.DatabasePerTenant {
		return nil, fmt.Errorf("sqlite: open server %q: tenancy %q is not supported (only %q)", cfg.Name, cfg.Tenancy, dialect.DatabasePerTenant)
	}
	return &Server{name: cfg.Name, dsn: cfg.DSN, path: path, params: params}, nil
}
