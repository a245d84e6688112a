package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/rowsync"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
	"github.com/herdhq/herd/internal/problem"
)

var (
	_ dialect.ChangeCapture    = (*Dialect)(nil)
	_ dialect.WriteFreezer     = (*Dialect)(nil)
	_ dialect.TableChecksummer = (*Dialect)(nil)
	_ dialect.CaptureSealer    = (*Dialect)(nil)
)

// captureTableDDL creates the capture table; %s is its qualified name.
const captureTableDDL = "CREATE TABLE %s (\n" +
	"\tseq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,\n" +
	"\ttbl VARCHAR(64) NOT NULL,\n" +
	"\tpk TEXT\n" +
	") ENGINE=InnoDB"

// quoteString quotes s as a string literal under any sql_mode.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(s) + "'"
}

// captureTriggers returns the CREATE TRIGGER statements of table t: one
// AFTER INSERT, UPDATE and DELETE trigger each, writing the key as
// JSON_ARRAY of the key columns to the capture table. Every name is
// unqualified, for a session whose database is the tenant's: the dump a
// snapshot loads keeps a trigger's statement as it was written, and a
// trigger's body resolves names in its table's database.
func (d *Dialect) captureTriggers(t dialect.Table) []string {
	key := func(row string) string {
		return "INSERT INTO " + quoteIdent(dialect.CaptureTable) + " (tbl, pk) VALUES (" + quoteString(t.Name) +
			", JSON_ARRAY(" + rowsync.Key(d, t, row) + "))"
	}
	on := func(event, when, body string) string {
		return "CREATE TRIGGER " + quoteIdent(dialect.CaptureTriggerName(t.Name, event)) + " AFTER " + when + " ON " +
			quoteIdent(t.Name) + " FOR EACH ROW " + body
	}
	return []string{
		on("i", "INSERT", key("NEW")),
		on("d", "DELETE", key("OLD")),
		on("u", "UPDATE", "BEGIN\n\t"+key("OLD")+";\n\tIF NOT ("+rowsync.KeyCompared(d, t, "<=>", " AND ")+") THEN\n\t\t"+
			key("NEW")+";\n\tEND IF;\nEND"),
	}
}

// InstallCapture creates the capture table and three triggers on each
// table. MySQL's DDL is not transactional: on failure it removes what it
// made. Each CREATE TRIGGER waits for the application's transactions on
// its table at most dialect.CaptureLockTimeout (lock_wait_timeout).
// Triggers do not fire on TRUNCATE, nor on changes made by cascading
// foreign keys.
func (d *Dialect) InstallCapture(ctx context.Context, db *dialect.Database, tables []dialect.Table) error {
	fail := func(err error) error {
		return fmt.Errorf("mysql: install change capture in %q: %w", db.Name, err)
	}
	stmts := []string{fmt.Sprintf(captureTableDDL, quoteIdent(dialect.CaptureTable))}
	for _, t := range tables {
		if err := capturable(t); err != nil {
			return fail(&problem.InputError{Err: err})
		}
		stmts = append(stmts, d.captureTriggers(t)...)
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE "+quoteIdent(db.Schema)); err != nil {
		return fail(err)
	}
	if err := d.GuardSession(ctx, conn, dialect.CaptureLockTimeout); err != nil {
		return fail(err)
	}
	for i, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			if i > 0 {
				if rerr := d.RemoveCapture(context.WithoutCancel(ctx), db); rerr != nil {
					err = fmt.Errorf("%w (and removing what was made failed: %v)", err, rerr)
				}
			}
			return fail(err)
		}
	}
	return nil
}

// capturable fails for a table whose changes triggers cannot all see: one
// without a primary key, and one with a foreign key whose action changes
// its rows (CASCADE, SET NULL, SET DEFAULT), since MySQL fires no trigger
// for the rows a foreign key's action changes.
func capturable(t dialect.Table) error {
	if len(t.PrimaryKey) == 0 {
		return fmt.Errorf("table %q has no primary key", t.Name)
	}
	for _, fk := range t.ForeignKeys {
		for _, action := range []string{fk.OnDelete, fk.OnUpdate} {
			if action != "" && action != "NO ACTION" && action != "RESTRICT" {
				return fmt.Errorf("table %q: foreign key %q is ON … %s, and MySQL fires no trigger for the rows it changes", t.Name, fk.Name, action)
			}
		}
	}
	return nil
}

// RemoveCapture drops the triggers of db named with the capture prefix,
// then the capture table.
func (d *Dialect) RemoveCapture(ctx context.Context, db *dialect.Database) error {
	fail := func(err error) error {
		return fmt.Errorf("mysql: remove change capture from %q: %w", db.Name, err)
	}
	var names []string
	err := snapcopy.Each(ctx, db.DB, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE ?",
		[]any{db.Schema, strings.ReplaceAll(dialect.CaptureTriggerPrefix, "_", `\_`) + "%"}, func(r *sql.Rows) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
	if err != nil {
		return fail(err)
	}
	var errs []error
	for _, n := range names {
		if _, err := db.DB.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+dialect.Qualify(d, db, n)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fail(err)
	}
	if _, err := db.DB.ExecContext(ctx, "DROP TABLE IF EXISTS "+dialect.Qualify(d, db, dialect.CaptureTable)); err != nil {
		return fail(err)
	}
	return nil
}

// FreezeWrites takes LOCK TABLES … READ on tables, on conn: other
// sessions read them and wait to write them. The wait for the lock is
// bounded by the session's lock_wait_timeout (GuardSession); a
// transaction that wrote to one of the tables and is still open holds it
// off. release runs UNLOCK TABLES; the locks also end with the session.
func (d *Dialect) FreezeWrites(ctx context.Context, conn *sql.Conn, db *dialect.Database, tables []string) (func() error, error) {
	if len(tables) == 0 {
		return func() error { return nil }, nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = dialect.Qualify(d, db, t) + " READ"
	}
	if _, err := conn.ExecContext(ctx, "LOCK TABLES "+strings.Join(names, ", ")); err != nil {
		return nil, fmt.Errorf("mysql: freeze writes to %q: %w", db.Name, err)
	}
	return func() error {
		_, err := conn.ExecContext(context.Background(), "UNLOCK TABLES")
		return err
	}, nil
}

// signalMessageMax is the longest MESSAGE_TEXT of a SIGNAL, in
// characters.
const signalMessageMax = 128

// SealCapture creates, on a connection of db (the freeze's LOCK TABLES
// leaves the capture table out, and its session could not create a
// trigger on a table it has not locked for writing), a BEFORE INSERT
// trigger on the capture table that signals reason (cut to 128
// characters) with SQLSTATE 25006: every write the capture triggers see
// then fails, those that waited for the freeze too, since they open the
// capture table (their triggers') only once they have their own.
func (d *Dialect) SealCapture(ctx context.Context, _ *sql.Conn, db *dialect.Database, reason string) error {
	if r := []rune(reason); len(r) > signalMessageMax {
		reason = string(r[:signalMessageMax])
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mysql: seal %q: %w", db.Name, err)
	}
	defer conn.Close()
	if err := d.GuardSession(ctx, conn, dialect.CaptureLockTimeout); err != nil {
		return fmt.Errorf("mysql: seal %q: %w", db.Name, err)
	}
	s := "CREATE TRIGGER " + dialect.Qualify(d, db, dialect.SealTrigger) + " BEFORE INSERT ON " + dialect.Qualify(d, db, dialect.CaptureTable) +
		" FOR EACH ROW SIGNAL SQLSTATE '25006' SET MESSAGE_TEXT = " + quoteString(reason)
	if _, err := conn.ExecContext(ctx, s); err != nil {
		return fmt.Errorf("mysql: seal %q: %w", db.Name, err)
	}
	return nil
}

// Sealed looks for the seal's trigger in db.
func (d *Dialect) Sealed(ctx context.Context, db *dialect.Database) (bool, error) {
	var n int
	err := db.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME = ?",
		db.Schema, dialect.SealTrigger).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("mysql: is %q sealed: %w", db.Name, err)
	}
	return n > 0, nil
}

// TableChecksum counts the rows of t and sums two 64-bit halves of the
// MD5 of each row's JSON_ARRAY of its columns, as DECIMAL, in one pass
// that holds no row in memory (unlike GROUP_CONCAT, bounded by
// group_concat_max_len): the checksum is the same whatever order the rows
// are read in and, since a primary key makes each row distinct, differs
// from another table's unless their rows are the same (a chance
// difference goes unseen with odds of about 2^-64). The hash is taken once
// per row in a derived table that the session keeps from being merged
// into the outer query (derived_merge=off), which would compute it once
// per half: 30% of the time on a million rows.
func (d *Dialect) TableChecksum(ctx context.Context, db *dialect.Database, t dialect.Table) (int64, string, error) {
	fail := func(err error) (int64, string, error) {
		return 0, "", fmt.Errorf("mysql: checksum of table %q in %q: %w", t.Name, db.Name, err)
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c.Name)
	}
	half := func(from int) string {
		return fmt.Sprintf("COALESCE(SUM(CAST(CONV(SUBSTRING(h, %d, 16), 16, 10) AS UNSIGNED)), 0)", from)
	}
	query := "SELECT COUNT(*), CONCAT(" + half(1) + ", '/', " + half(17) + ") FROM (SELECT MD5(JSON_ARRAY(" +
		strings.Join(cols, ", ") + ")) AS h FROM " + dialect.Qualify(d, db, t.Name) + ") AS s"
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION optimizer_switch = 'derived_merge=off'"); err != nil {
		return fail(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SET SESSION optimizer_switch = 'derived_merge=default'") //nolint:errcheck // best effort on a pooled connection
	var (
		n   int64
		sum string
	)
	if err := conn.QueryRowContext(ctx, query).Scan(&n, &sum); err != nil {
		return fail(err)
	}
	return n, sum, nil
}
