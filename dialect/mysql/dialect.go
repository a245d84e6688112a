package mysql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// MaxNameLength is MySQL's limit on database names.
const MaxNameLength = 64

// DefaultLockWaitTimeout is the lock_wait_timeout GuardSession sets by
// default.
const DefaultLockWaitTimeout = 30 * time.Second

// Dialect is the MySQL/MariaDB engine. Create it with New; its fields may
// be changed before first use, after which it is safe for concurrent use.
type Dialect struct {
	// LockWaitTimeout is the lock_wait_timeout GuardSession sets, in whole
	// seconds (at least one): how long one migration statement may wait
	// for a metadata lock before it fails, instead of blocking every
	// reader queued behind it. New sets DefaultLockWaitTimeout.
	LockWaitTimeout time.Duration
}

var (
	_ dialect.Dialect      = (*Dialect)(nil)
	_ dialect.SessionGuard = (*Dialect)(nil)
)

// New returns the MySQL dialect with default settings.
func New() *Dialect { return &Dialect{LockWaitTimeout: DefaultLockWaitTimeout} }

// Name returns "mysql".
func (d *Dialect) Name() string { return "mysql" }

// QuoteIdent quotes name in backticks, doubling any it contains.
func (d *Dialect) QuoteIdent(name string) string { return quoteIdent(name) }

func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// Placeholder returns "?" for every n.
func (d *Dialect) Placeholder(int) string { return "?" }

// Split cuts script into statements by MySQL's lexical rules (backslash
// escapes, # and /*! */ comments, DELIMITER).
func (d *Dialect) Split(script string) ([]sqlsplit.Statement, error) {
	return sqlsplit.Split(script, sqlsplit.MySQL)
}

// Tokens returns the words of stmt by MySQL's lexical rules.
func (d *Dialect) Tokens(stmt string) ([]sqlsplit.Token, error) {
	return sqlsplit.Tokens(stmt, sqlsplit.MySQL)
}

// GuardSession sets lock_wait_timeout on conn to d.LockWaitTimeout, in
// whole seconds and at least one. The setting lasts for the connection's
// session.
func (d *Dialect) GuardSession(ctx context.Context, conn *sql.Conn) error {
	secs := int64(d.LockWaitTimeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", secs)); err != nil {
		return fmt.Errorf("mysql: set lock_wait_timeout: %w", err)
	}
	return nil
}

// Upsert returns ON DUPLICATE KEY UPDATE c = VALUES(c), …: the table's
// primary key is the key.
func (d *Dialect) Upsert(_ string, columns []string) string {
	set := make([]string, len(columns))
	for i, c := range columns {
		set[i] = c + " = VALUES(" + c + ")"
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
}

// CreateLedger returns the DDL of herd's ledger table named qualifiedTable.
// Its text columns compare as bytes (utf8mb4_bin), as on the other engines.
func (d *Dialect) CreateLedger(qualifiedTable string) string {
	return fmt.Sprintf(ledgerDDL, qualifiedTable)
}

const ledgerDDL = "CREATE TABLE IF NOT EXISTS %s (\n" +
	"    migration_id      VARCHAR(200) NOT NULL PRIMARY KEY,\n" +
	"    version           VARCHAR(64)  NOT NULL,\n" +
	"    kind              VARCHAR(16)  NOT NULL,\n" +
	"    checksum          VARCHAR(64)  NOT NULL,\n" +
	"    state             VARCHAR(16)  NOT NULL,\n" +
	"    direction         VARCHAR(8)   NOT NULL,\n" +
	"    statements_total  INT          NOT NULL DEFAULT 0,\n" +
	"    statements_done   INT          NOT NULL DEFAULT 0,\n" +
	"    statement_started INT          NOT NULL DEFAULT 0,\n" +
	"    error             TEXT         NULL,\n" +
	"    applied_at        DATETIME(6)  NOT NULL,\n" +
	"    execution_ms      BIGINT       NOT NULL DEFAULT 0\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

//go:embed controlschema
var controlSchema embed.FS

//go:embed controlqueries.sql
var controlQueries string

// ControlQueries returns herd's named queries on its control database for
// MySQL and MariaDB.
func (d *Dialect) ControlQueries() string { return controlQueries }

// ControlSchema returns herd's control-database migrations for MySQL.
func (d *Dialect) ControlSchema() fs.FS {
	sub, err := fs.Sub(controlSchema, "controlschema")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}
