package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// MaxNameLength is PostgreSQL's identifier limit (NAMEDATALEN-1); longer
// names are truncated by the server.
const MaxNameLength = 63

// DefaultLockTimeout is the lock_timeout GuardSession sets by default.
const DefaultLockTimeout = 30 * time.Second

// Dialect is the PostgreSQL engine. Create it with New; its fields may be
// changed before first use, after which it is safe for concurrent use.
type Dialect struct {
	// LockTimeout is the lock_timeout GuardSession sets: how long one
	// migration statement may queue for a table lock before it fails,
	// instead of blocking every reader queued behind it. Zero or less
	// means no limit. New sets DefaultLockTimeout.
	LockTimeout time.Duration
}

var (
	_ dialect.Dialect          = (*Dialect)(nil)
	_ dialect.TransactionalDDL = (*Dialect)(nil)
	_ dialect.SessionGuard     = (*Dialect)(nil)
)

// New returns the PostgreSQL dialect with default settings.
func New() *Dialect { return &Dialect{LockTimeout: DefaultLockTimeout} }

// Name returns "postgres".
func (d *Dialect) Name() string { return "postgres" }

// QuoteIdent quotes name in double quotes, doubling any it contains.
func (d *Dialect) QuoteIdent(name string) string { return quoteIdent(name) }

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Placeholder returns "$n".
func (d *Dialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }

// Split cuts script into statements by PostgreSQL's lexical rules (dollar
// quotes, nested comments, E” strings).
func (d *Dialect) Split(script string) ([]sqlsplit.Statement, error) {
	return sqlsplit.Split(script, sqlsplit.Postgres)
}

// Tokens returns the words of stmt by PostgreSQL's lexical rules.
func (d *Dialect) Tokens(stmt string) ([]sqlsplit.Token, error) {
	return sqlsplit.Tokens(stmt, sqlsplit.Postgres)
}

// TransactionalDDL reports true: PostgreSQL's DDL rolls back with its
// transaction.
func (d *Dialect) TransactionalDDL() bool { return true }

// GuardSession sets lock_timeout on conn to d.LockTimeout (whole
// milliseconds). The setting lasts for the connection's session.
func (d *Dialect) GuardSession(ctx context.Context, conn *sql.Conn) error {
	ms := d.LockTimeout.Milliseconds()
	if ms < 0 {
		ms = 0
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET lock_timeout = '%dms'", ms)); err != nil {
		return fmt.Errorf("postgres: set lock_timeout: %w", err)
	}
	return nil
}

// Upsert returns ON CONFLICT (key) DO UPDATE SET c = excluded.c, ….
func (d *Dialect) Upsert(key string, columns []string) string {
	return dialect.OnConflictUpdate(key, columns)
}

// CreateLedger returns the DDL of herd's ledger table named qualifiedTable.
func (d *Dialect) CreateLedger(qualifiedTable string) string {
	return fmt.Sprintf(ledgerDDL, qualifiedTable)
}

const ledgerDDL = `CREATE TABLE IF NOT EXISTS %s (
    migration_id      VARCHAR(200) NOT NULL PRIMARY KEY,
    version           VARCHAR(64)  NOT NULL,
    kind              VARCHAR(16)  NOT NULL,
    checksum          VARCHAR(64)  NOT NULL,
    state             VARCHAR(16)  NOT NULL,
    direction         VARCHAR(8)   NOT NULL,
    statements_total  INT          NOT NULL DEFAULT 0,
    statements_done   INT          NOT NULL DEFAULT 0,
    statement_started INT          NOT NULL DEFAULT 0,
    error             TEXT         NULL,
    applied_at        TIMESTAMPTZ  NOT NULL,
    execution_ms      BIGINT       NOT NULL DEFAULT 0
)`

//go:embed controlschema
var controlSchema embed.FS

//go:embed controlqueries.sql
var controlQueries string

// ControlQueries returns herd's named queries on its control database for
// PostgreSQL.
func (d *Dialect) ControlQueries() string { return controlQueries }

// ControlSchema returns herd's control-database migrations for PostgreSQL.
func (d *Dialect) ControlSchema() fs.FS {
	sub, err := fs.Sub(controlSchema, "controlschema")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}
