package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// MaxNameLength is PostgreSQL's identifier limit (NAMEDATALEN-1); longer
// names are truncated by the server.
const MaxNameLength = 63

// DefaultLockTimeout is the lock_timeout of a snapshot's dump and restore.
const DefaultLockTimeout = 30 * time.Second

// Dialect is the PostgreSQL engine. Create it with New. It is safe for
// concurrent use.
type Dialect struct{}

var (
	_ dialect.Dialect          = (*Dialect)(nil)
	_ dialect.TransactionalDDL = (*Dialect)(nil)
	_ dialect.SessionGuard     = (*Dialect)(nil)
)

// New returns the PostgreSQL dialect with default settings.
func New() *Dialect { return &Dialect{} }

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

// GuardSession sets lock_timeout on conn to lockTimeout, in whole
// milliseconds (zero or less: no limit). The setting lasts for the
// connection's session. It bounds each wait for a lock, a table's or a
// row's. In the same statement it notes the session's search_path, as
// herd opened it, for Left.
func (d *Dialect) GuardSession(ctx context.Context, conn *sql.Conn, lockTimeout time.Duration) error {
	ms := max(lockTimeout.Milliseconds(), 0)
	guard := fmt.Sprintf("SELECT pg_catalog.set_config('lock_timeout', '%dms', false), "+
		"pg_catalog.set_config('%s', pg_catalog.current_setting('search_path'), false)", ms, openedSearchPath)
	if _, err := conn.ExecContext(ctx, guard); err != nil {
		return fmt.Errorf("postgres: set lock_timeout: %w", err)
	}
	return nil
}

// lockNotAvailable is the SQLSTATE of a statement cancelled at
// lock_timeout.
const lockNotAvailable = "55P03"

// LockTimedOut reports whether err is a statement cancelled at
// lock_timeout.
func (d *Dialect) LockTimedOut(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == lockNotAvailable
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
    execution_ms      BIGINT       NOT NULL DEFAULT 0,
    chunk_key         TEXT         NULL,
    chunk_rows        BIGINT       NULL,
    note              TEXT         NULL
)`

// UpgradeLedger returns the statement that adds the columns a ledger
// made before chunked migrations, or before notes, lacks.
func (d *Dialect) UpgradeLedger(qualifiedTable string) []string {
	return []string{"ALTER TABLE " + qualifiedTable + " ADD COLUMN IF NOT EXISTS chunk_key TEXT NULL, ADD COLUMN IF NOT EXISTS chunk_rows BIGINT NULL, " +
		"ADD COLUMN IF NOT EXISTS note TEXT NULL"}
}

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
