package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/target"
)

var (
	_ dialect.ChangeCapture    = (*Dialect)(nil)
	_ dialect.WriteFreezer     = (*Dialect)(nil)
	_ dialect.TableChecksummer = (*Dialect)(nil)
	_ dialect.CaptureSealer    = (*Dialect)(nil)
	_ dialect.NameSwapper      = (*Server)(nil)
)

// captureFunction is the trigger function, and the name of every capture
// trigger: PostgreSQL names triggers per table.
const captureFunction = dialect.CaptureTriggerPrefix + "capture"

// truncateFunction is the statement-level trigger function that records
// a TRUNCATE, and the name of its triggers.
const truncateFunction = dialect.CaptureTriggerPrefix + "truncate"

// truncateFunctionDDL creates it; %[1]s is its qualified name, %[2]s the
// capture table's. A NULL key stands for every row of the table.
const truncateFunctionDDL = `CREATE OR REPLACE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $herd$
BEGIN
	INSERT INTO %[2]s (tbl, pk) VALUES (TG_TABLE_NAME, NULL);
	RETURN NULL;
END
$herd$`

// captureTableDDL creates the capture table; %s is its qualified name.
const captureTableDDL = `CREATE TABLE %s (
	seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tbl text NOT NULL,
	pk text
)`

// captureFunctionDDL creates the trigger function; %[1]s is its qualified
// name, %[2]s the capture table's. The key columns are the trigger's
// arguments; the key is rendered as a JSON array of their values. An
// update records the old key, and the new one when it differs.
const captureFunctionDDL = `CREATE OR REPLACE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $herd$
DECLARE
	old_key text;
	new_key text;
BEGIN
	IF TG_OP <> 'INSERT' THEN
		SELECT json_agg(to_json(OLD) -> u.k ORDER BY u.n)::text INTO old_key
			FROM unnest(TG_ARGV) WITH ORDINALITY AS u(k, n);
		INSERT INTO %[2]s (tbl, pk) VALUES (TG_TABLE_NAME, old_key);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		SELECT json_agg(to_json(NEW) -> u.k ORDER BY u.n)::text INTO new_key
			FROM unnest(TG_ARGV) WITH ORDINALITY AS u(k, n);
		IF new_key IS DISTINCT FROM old_key THEN
			INSERT INTO %[2]s (tbl, pk) VALUES (TG_TABLE_NAME, new_key);
		END IF;
	END IF;
	RETURN NULL;
END
$herd$`

// InstallCapture creates the capture table, one plpgsql trigger function
// and an AFTER INSERT OR UPDATE OR DELETE row trigger on each table, in
// one transaction whose locks wait at most dialect.CaptureLockTimeout,
// and a statement trigger AFTER TRUNCATE on each table that records a
// NULL key (every row). The functions and table are named with
// db.Schema, so the triggers write to this tenant's capture table
// whatever the writer's search_path. Triggers do not fire in sessions
// with session_replication_role = replica.
func (d *Dialect) InstallCapture(ctx context.Context, db *dialect.Database, tables []dialect.Table) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: install change capture in %q: %w", db.Name, err)
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	fn, truncated := dialect.Qualify(d, db, captureFunction), dialect.Qualify(d, db, truncateFunction)
	stmts := append([]string{
		fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", dialect.CaptureLockTimeout.Milliseconds()),
		fmt.Sprintf(captureTableDDL, dialect.Qualify(d, db, dialect.CaptureTable)),
	}, captureFunctions(db.Schema)...)
	for _, t := range tables {
		if len(t.PrimaryKey) == 0 {
			return fail(fmt.Errorf("table %q has no primary key", t.Name))
		}
		args := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			args[i] = quoteLiteral(c)
		}
		stmts = append(stmts, "CREATE TRIGGER "+quoteIdent(captureFunction)+" AFTER INSERT OR UPDATE OR DELETE ON "+
			dialect.Qualify(d, db, t.Name)+" FOR EACH ROW EXECUTE FUNCTION "+fn+"("+strings.Join(args, ", ")+")",
			"CREATE TRIGGER "+quoteIdent(truncateFunction)+" AFTER TRUNCATE ON "+dialect.Qualify(d, db, t.Name)+
				" FOR EACH STATEMENT EXECUTE FUNCTION "+truncated+"()")
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// captureFunctions returns the statements that create, or replace, the
// capture's trigger functions in schema, writing to its capture table.
// The table's name is in their text: a renamed schema's functions are
// replaced (Server.SwapNames).
func captureFunctions(schema string) []string {
	in := func(name string) string { return quoteIdent(schema) + "." + quoteIdent(name) }
	return []string{
		fmt.Sprintf(captureFunctionDDL, in(captureFunction), in(dialect.CaptureTable)),
		fmt.Sprintf(truncateFunctionDDL, in(truncateFunction), in(dialect.CaptureTable)),
	}
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// RemoveCapture drops the trigger function with every trigger that uses
// it (CASCADE), then the capture table, in one transaction.
func (d *Dialect) RemoveCapture(ctx context.Context, db *dialect.Database) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: remove change capture from %q: %w", db.Name, err)
	}
	tx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range []string{
		fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", DefaultLockTimeout.Milliseconds()),
		"DROP FUNCTION IF EXISTS " + dialect.Qualify(d, db, captureFunction) + "() CASCADE",
		"DROP FUNCTION IF EXISTS " + dialect.Qualify(d, db, truncateFunction) + "() CASCADE",
		"DROP FUNCTION IF EXISTS " + dialect.Qualify(d, db, dialect.SealTrigger) + "() CASCADE",
		"DROP TABLE IF EXISTS " + dialect.Qualify(d, db, dialect.CaptureTable),
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// FreezeWrites opens a transaction on conn and locks tables IN SHARE
// MODE, which conflicts with every write (ROW EXCLUSIVE) and lets reads
// through: plain SELECTs (ACCESS SHARE), and also the row locks of
// SELECT … FOR UPDATE/SHARE and of foreign-key checks (ROW SHARE), which
// EXCLUSIVE MODE would block too, so that a write under way on one table
// whose foreign-key check reads another finishes instead of deadlocking
// with the freeze. The wait for each lock is bounded by the session's
// lock_timeout (GuardSession). release commits the transaction, with the
// seal SealCapture made in it.
func (d *Dialect) FreezeWrites(ctx context.Context, conn *sql.Conn, db *dialect.Database, tables []string) (func() error, error) {
	fail := func(err error) error {
		return fmt.Errorf("postgres: freeze writes to %q: %w", db.Name, err)
	}
	// The transaction outlives ctx: release ends it.
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, fail(err)
	}
	if len(tables) > 0 {
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = dialect.Qualify(d, db, t)
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN SHARE MODE"); err != nil {
			_ = tx.Rollback()
			return nil, fail(err)
		}
	}
	return tx.Commit, nil
}

// sealFunctionDDL creates the seal's trigger function; %[1]s is its
// qualified name, %[2]s the message as a literal.
const sealFunctionDDL = `CREATE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $herd$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'read_only_sql_transaction', MESSAGE = %[2]s;
END
$herd$`

// SealCapture creates, in the freeze's transaction on conn, a trigger
// function raising reason (SQLSTATE 25006) and a BEFORE INSERT row
// trigger on the capture table that calls it: every write the capture
// triggers see then fails, from the moment the freeze's release commits.
// Creating the trigger locks only the capture table, which no one writes
// while the tenant is frozen.
func (d *Dialect) SealCapture(ctx context.Context, conn *sql.Conn, db *dialect.Database, reason string) error {
	fn := dialect.Qualify(d, db, dialect.SealTrigger)
	for _, s := range []string{
		fmt.Sprintf(sealFunctionDDL, fn, quoteLiteral(reason)),
		"CREATE TRIGGER " + quoteIdent(dialect.SealTrigger) + " BEFORE INSERT ON " + dialect.Qualify(d, db, dialect.CaptureTable) +
			" FOR EACH ROW EXECUTE FUNCTION " + fn + "()",
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("postgres: seal %q: %w", db.Name, err)
		}
	}
	return nil
}

// Sealed looks for the seal's trigger on the capture table.
func (d *Dialect) Sealed(ctx context.Context, db *dialect.Database) (bool, error) {
	var ok bool
	err := db.DB.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "+
		"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.tgname = $1 AND c.relname = $2 AND n.nspname = COALESCE(NULLIF($3, ''), current_schema()))",
		d.Unprepared(dialect.SealTrigger, dialect.CaptureTable, db.Schema)...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: is %q sealed: %w", db.Name, err)
	}
	return ok, nil
}

// TableChecksum counts the rows of t and sums, as numeric (no sum
// overflows), two 64-bit hashes of each row's text (ROW(columns)::text):
// hashtextextended, PostgreSQL's own hash function (PostgreSQL 11 and
// later), with seeds 0 and 1. The sums stream (no row is held in memory)
// and need no order; since a primary key makes each row distinct, two
// tables with the same count and sums hold the same rows but by a chance
// of about 2^-64 per difference. md5 of each row took about three times
// as long, md5(string_agg(… ORDER BY key)) holds the whole table's text
// in memory (at most 1 GB).
func (d *Dialect) TableChecksum(ctx context.Context, db *dialect.Database, t dialect.Table) (int64, string, error) {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "r." + quoteIdent(c.Name)
	}
	query := "SELECT count(*), COALESCE(sum(hashtextextended(h, 0)), 0)::text || '/' || COALESCE(sum(hashtextextended(h, 1)), 0)::text " +
		"FROM (SELECT ROW(" + strings.Join(cols, ", ") + ")::text AS h FROM " + dialect.Qualify(d, db, t.Name) + " AS r) AS s"
	var (
		n   int64
		sum string
	)
	if err := db.DB.QueryRowContext(ctx, query, d.Unprepared()...).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("postgres: checksum of table %q in %q: %w", t.Name, db.Name, err)
	}
	return n, sum, nil
}

// SwapsNames reports whether the server has a schema per tenant: a
// schema's connections follow a rename, a database's cannot be open
// during one.
func (s *Server) SwapsNames() bool { return s.tenancy == dialect.SchemaPerTenant }

// SwapNames renames schema live to old and schema other to live, on
// conn in its open transaction, and replaces the capture's trigger
// functions of each schema that has them so that they write to its own
// capture table, whose schema's name their text holds. ALTER SCHEMA …
// RENAME locks no table: the write freeze conn holds is all that keeps
// writers off meanwhile, and its commit makes the new names visible at
// once.
func (s *Server) SwapNames(ctx context.Context, conn *sql.Conn, live, other, old string) error {
	fail := func(err error) error {
		return fmt.Errorf("postgres: rename %q to %q and %q to %q: %w", live, old, other, live, err)
	}
	if !s.SwapsNames() {
		return fail(errors.New("tenants are databases, which cannot be renamed while in use"))
	}
	for _, name := range []string{old, live, other} {
		if err := target.CheckName(name, MaxNameLength); err != nil {
			return fail(err)
		}
	}
	stmts := []string{
		"ALTER SCHEMA " + quoteIdent(live) + " RENAME TO " + quoteIdent(old),
		"ALTER SCHEMA " + quoteIdent(other) + " RENAME TO " + quoteIdent(live),
	}
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fail(err)
		}
	}
	for _, schema := range []string{old, live} {
		var captured bool
		err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n "+
			"ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2)", schema, captureFunction).Scan(&captured)
		if err != nil {
			return fail(err)
		}
		if !captured {
			continue
		}
		for _, stmt := range captureFunctions(schema) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fail(err)
			}
		}
	}
	return nil
}
