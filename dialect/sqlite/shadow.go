package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/rowsync"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var (
	_ dialect.ChangeCapture = (*Dialect)(nil)
	_ dialect.WriteFreezer  = (*Dialect)(nil)
	_ dialect.CaptureSealer = (*Dialect)(nil)
)

// captureTableDDL creates the capture table. An INTEGER PRIMARY KEY takes
// the next rowid, above every row the table holds.
const captureTableDDL = `CREATE TABLE %s (
	seq INTEGER PRIMARY KEY,
	tbl TEXT NOT NULL,
	pk TEXT
)`

// quoteString quotes s as an SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// captureTriggers returns the CREATE TRIGGER statements of table t, each
// writing a key as json_array of the key columns: AFTER INSERT (the new
// key), AFTER DELETE (the old key), and two AFTER UPDATE, for the old key
// and, when it changed, the new one.
func (d *Dialect) captureTriggers(t dialect.Table) []string {
	q := d.QuoteIdent
	key := func(row string) string {
		return " BEGIN INSERT INTO " + q(dialect.CaptureTable) + " (tbl, pk) VALUES (" + quoteString(t.Name) +
			", json_array(" + rowsync.Key(d, t, row) + ")); END"
	}
	on := func(event, when string) string {
		return "CREATE TRIGGER " + q(dialect.CaptureTriggerName(t.Name, event)) + " AFTER " + when + " ON " + q(t.Name) + " FOR EACH ROW"
	}
	return []string{
		on("i", "INSERT") + key("NEW"),
		on("d", "DELETE") + key("OLD"),
		on("u", "UPDATE") + key("OLD"),
		on("n", "UPDATE") + " WHEN " + rowsync.KeyCompared(d, t, "IS NOT", " OR ") + key("NEW"),
	}
}

// InstallCapture creates the capture table and four triggers on each
// table (insert, delete, update's old key, update's new key when it
// changed) in one immediate transaction, which waits for the file's
// writer at most the connection's busy timeout.
func (d *Dialect) InstallCapture(ctx context.Context, db *dialect.Database, tables []dialect.Table) error {
	fail := func(err error) error {
		return fmt.Errorf("sqlite: install change capture in %q: %w", db.Name, err)
	}
	stmts := []string{fmt.Sprintf(captureTableDDL, d.QuoteIdent(dialect.CaptureTable))}
	for _, t := range tables {
		if len(t.PrimaryKey) == 0 {
			return fail(fmt.Errorf("table %q has no primary key", t.Name))
		}
		stmts = append(stmts, d.captureTriggers(t)...)
	}
	if err := inTx(ctx, db.DB, stmts); err != nil {
		return fail(err)
	}
	return nil
}

// inTx runs stmts in one transaction of db.
func inTx(ctx context.Context, db *sql.DB, stmts []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Sealed looks for the seal's trigger in db.
func (d *Dialect) Sealed(ctx context.Context, db *dialect.Database) (bool, error) {
	var n int
	err := db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?", dialect.SealTrigger).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: is %q sealed: %w", db.Name, err)
	}
	return n > 0, nil
}

// RemoveCapture drops the triggers named with the capture prefix and the
// capture table, in one transaction.
func (d *Dialect) RemoveCapture(ctx context.Context, db *dialect.Database) error {
	fail := func(err error) error {
		return fmt.Errorf("sqlite: remove change capture from %q: %w", db.Name, err)
	}
	var stmts []string
	err := snapcopy.Each(ctx, db.DB, `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\'`,
		[]any{strings.ReplaceAll(dialect.CaptureTriggerPrefix, "_", `\_`) + "%"}, func(r *sql.Rows) error {
			var n string
			err := r.Scan(&n)
			stmts = append(stmts, "DROP TRIGGER IF EXISTS "+d.QuoteIdent(n))
			return err
		})
	if err != nil {
		return fail(err)
	}
	stmts = append(stmts, "DROP TABLE IF EXISTS "+d.QuoteIdent(dialect.CaptureTable))
	if err := inTx(ctx, db.DB, stmts); err != nil {
		return fail(err)
	}
	return nil
}

// FreezeWrites begins an immediate transaction on conn (BEGIN IMMEDIATE:
// herd's connections take their write lock when a transaction begins),
// which holds the file's one write lock: every other writer waits, for
// its busy timeout, and readers go on (WAL). SQLite locks the whole
// file, so tables are not used. The wait for the lock is bounded by the
// session's busy timeout (GuardSession). release commits the
// transaction, with the seal SealCapture made in it.
func (d *Dialect) FreezeWrites(ctx context.Context, conn *sql.Conn, db *dialect.Database, _ []string) (func() error, error) {
	// The transaction outlives ctx: release ends it.
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: freeze writes to %q: %w", db.Name, err)
	}
	return tx.Commit, nil
}

// SealCapture creates, in the freeze's transaction on conn (which holds
// the file's write lock), a BEFORE INSERT trigger on the capture table
// that aborts with reason: every write the capture triggers see then
// fails, from the moment the freeze's release commits.
func (d *Dialect) SealCapture(ctx context.Context, conn *sql.Conn, db *dialect.Database, reason string) error {
	s := "CREATE TRIGGER " + d.QuoteIdent(dialect.SealTrigger) + " BEFORE INSERT ON " + d.QuoteIdent(dialect.CaptureTable) +
		" BEGIN SELECT RAISE(ABORT, " + quoteString(reason) + "); END"
	if _, err := conn.ExecContext(ctx, s); err != nil {
		return fmt.Errorf("sqlite: seal %q: %w", db.Name, err)
	}
	return nil
}
