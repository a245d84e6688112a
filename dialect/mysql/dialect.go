package mysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

// MaxNameLength is MySQL's limit on database names.
const MaxNameLength = 64

// DefaultLockWaitTimeout is the lock_wait_timeout of a snapshot's dump
// and restore.
const DefaultLockWaitTimeout = 30 * time.Second

// Dialect is the MySQL/MariaDB engine. Create it with New. It is safe for
// concurrent use.
type Dialect struct{}

var (
	_ dialect.Dialect      = (*Dialect)(nil)
	_ dialect.SessionGuard = (*Dialect)(nil)
)

// New returns the MySQL dialect with default settings.
func New() *Dialect { return &Dialect{} }

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

// GuardSession sets lock_wait_timeout (metadata locks: what DDL waits
// for) and innodb_lock_wait_timeout (row locks) on conn to lockTimeout,
// in whole seconds, rounded up, and at least one: MySQL counts no finer.
// The settings last for the connection's session.
func (d *Dialect) GuardSession(ctx context.Context, conn *sql.Conn, lockTimeout time.Duration) error {
	secs := max(int64((lockTimeout+time.Second-1)/time.Second), 1)
	q := fmt.Sprintf("SET SESSION lock_wait_timeout = %d, innodb_lock_wait_timeout = %d", secs, secs)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("mysql: set lock_wait_timeout: %w", err)
	}
	return nil
}

// errLockWaitTimeout is ER_LOCK_WAIT_TIMEOUT, which both lock waits end
// with.
const errLockWaitTimeout = 1205

// LockTimedOut reports whether err is a statement that gave up waiting
// for a metadata or row lock.
func (d *Dialect) LockTimedOut(err error) bool {
	myErr, ok := errors.AsType[*mysql.MySQLError](err)
	return ok && myErr.Number == errLockWaitTimeout
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
	"    execution_ms      BIGINT       NOT NULL DEFAULT 0,\n" +
	"    chunk_key         TEXT         NULL,\n" +
	"    chunk_rows        BIGINT       NULL,\n" +
	"    note              TEXT         NULL\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

// UpgradeLedger returns the statements that add the columns a ledger made
// before chunked migrations, or before notes, lacks: one for each
// generation, since MySQL 8 has no ADD COLUMN IF NOT EXISTS and a
// statement whose column is there fails (herd passes over it).
func (d *Dialect) UpgradeLedger(qualifiedTable string) []string {
	return []string{
		"ALTER TABLE " + qualifiedTable + " ADD COLUMN chunk_key TEXT NULL, ADD COLUMN chunk_rows BIGINT NULL",
		"ALTER TABLE " + qualifiedTable + " ADD COLUMN note TEXT NULL",
	}
}

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
