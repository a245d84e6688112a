package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Snapshotter = (*Server)(nil)

// Bounds of one multi-row INSERT of a copy: MySQL takes at most 65,535
// placeholders in a statement, and a statement must fit in
// max_allowed_packet (16 MiB by default on MariaDB).
const (
	maxPlaceholders = 65535
	maxBatchRows    = 500
	maxBatchBytes   = 4 << 20
	cleanupTimeout  = time.Minute
)

// unsupportedSQL lists the objects of database ? (given four times) that a
// snapshot cannot copy.
const unsupportedSQL = `SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?
UNION ALL SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?
UNION ALL SELECT CONCAT(LOWER(TABLE_TYPE), ' ', TABLE_NAME) FROM information_schema.TABLES
	WHERE TABLE_SCHEMA = ? AND TABLE_TYPE NOT IN ('BASE TABLE', 'VIEW')`

// insertableSQL lists the columns of table ? in database ? that a copy
// writes: all but generated ones.
const insertableSQL = `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
	AND EXTRA NOT LIKE '%VIRTUAL GENERATED%' AND EXTRA NOT LIKE '%STORED GENERATED%' AND EXTRA NOT LIKE '%PERSISTENT GENERATED%'
	ORDER BY ORDINAL_POSITION`

// charsetName matches a character set or collation name, spliced into
// CREATE DATABASE.
var charsetName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Snapshot copies database src into the new database dst, as mysqldump
// --single-transaction would: it reads src in one transaction started WITH
// CONSISTENT SNAPSHOT (REPEATABLE READ, READ ONLY) — each table's
// definition with SHOW CREATE TABLE, which keeps its AUTO_INCREMENT
// position, and its rows with consistent reads — and writes through a
// second connection with foreign key checks off: dst with src's character
// set and collation, the tables, their rows in multi-row INSERTs, then the
// views (SHOW CREATE VIEW, keeping their definer). Writes made to src
// during the copy are not in it, and the copy does not block them.
//
// Values travel in MySQL's binary protocol, so floating-point numbers are
// exact, and times as text with the session time zone at UTC, so
// TIMESTAMP values are not shifted. Generated columns are recomputed. A
// source holding triggers, stored routines, events, sequences or
// system-versioned tables is refused, naming them: a copy would lose them.
//
// MySQL's DDL is not transactional: dst appears while the copy runs. It
// fails if dst exists; on failure, dst is dropped.
func (s *Server) Snapshot(ctx context.Context, src, dst string) error {
	fail := func(err error) error {
		return fmt.Errorf("mysql: snapshot database %q to %q on server %q: %w", src, dst, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, src); err != nil {
		return fail(err)
	}
	if err := s.copyDatabase(ctx, src, dst, false); err != nil {
		return fail(err)
	}
	return nil
}

// Restore drops database target and copies snapshot into a new target, as
// Snapshot copies, leaving snapshot intact. DROP DATABASE waits for the
// application's open transactions on the target (at most
// DefaultLockWaitTimeout), and the application's queries fail while the
// target is missing or being filled: restore is an operator's action, and
// the caller holds the tenant's migration lock. target need not exist. If
// the copy fails, target is dropped rather than left incomplete; restoring
// again is the remedy.
func (s *Server) Restore(ctx context.Context, snapshot, target string) error {
	fail := func(err error) error {
		return fmt.Errorf("mysql: restore database %q from snapshot %q on server %q: %w", target, snapshot, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(snapshot, target, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, snapshot); err != nil {
		return fail(fmt.Errorf("snapshot: %w", err))
	}
	if err := s.copyDatabase(ctx, snapshot, target, true); err != nil {
		return fail(err)
	}
	return nil
}

// mustExist fails unless database name exists.
func (s *Server) mustExist(ctx context.Context, name string) error {
	switch ok, err := s.exists(ctx, name); {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("database %q does not exist", name)
	}
	return nil
}

// source is what a copy reads from the source database.
type source struct {
	charset, collation string
	tables, views      []object
}

type object struct {
	name, ddl string
	columns   []string // a table's insertable columns
}

// copyDatabase copies database from into a new database to, dropping to
// first when replace is set, and dropping it again when the copy fails.
func (s *Server) copyDatabase(ctx context.Context, from, to string, replace bool) (err error) {
	config := s.config.Clone()
	config.DBName = ""
	config.ParseTime = false // times travel as text, exactly
	config.Loc = time.UTC
	// Values go as parameters of prepared statements: interpolated, bytes
	// would become _binary'…' literals, which MySQL refuses for JSON.
	config.InterpolateParams = false
	pool, err := s.pool(config)
	if err != nil {
		return err
	}
	defer pool.Close()
	reader, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer reader.Close()
	writer, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer writer.Close()

	// Both sessions: UTC, so that TIMESTAMP text is not shifted, and a
	// mode in which any value the source holds can be written back (0 in
	// an AUTO_INCREMENT column stays 0) and SHOW CREATE uses backticks.
	session := "SET SESSION time_zone = '+00:00', sql_mode = 'NO_AUTO_VALUE_ON_ZERO'"
	if err := execAll(ctx, reader, session,
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
		"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return err
	}
	defer reader.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read only
	src, err := readSource(ctx, reader, from)
	if err != nil {
		return err
	}
	if err := execAll(ctx, writer, session,
		fmt.Sprintf("SET SESSION foreign_key_checks = 0, unique_checks = 0, lock_wait_timeout = %d", int(DefaultLockWaitTimeout/time.Second))); err != nil {
		return err
	}
	if replace {
		if err := execAll(ctx, writer, "DROP DATABASE IF EXISTS "+quoteIdent(to)); err != nil {
			return err
		}
	}
	if err := execAll(ctx, writer, "CREATE DATABASE "+quoteIdent(to)+" CHARACTER SET "+src.charset+" COLLATE "+src.collation); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, derr := writer.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(to)); derr != nil {
			err = fmt.Errorf("%w (and dropping the incomplete %q failed: %v)", err, to, derr)
		}
	}()
	if err := execAll(ctx, writer, "USE "+quoteIdent(to)); err != nil {
		return err
	}
	// Names qualified with the source database (MySQL qualifies a view's
	// tables so) are moved to the target.
	retarget := strings.NewReplacer(quoteIdent(from)+".", quoteIdent(to)+".")
	for _, t := range src.tables {
		if err := execAll(ctx, writer, retarget.Replace(t.ddl)); err != nil {
			return fmt.Errorf("create table %s: %w", t.name, err)
		}
	}
	for _, t := range src.tables {
		if err := copyRows(ctx, reader, writer, from, to, t); err != nil {
			return fmt.Errorf("copy rows of %s: %w", t.name, err)
		}
	}
	names := make([]string, len(src.views))
	for i, v := range src.views {
		names[i] = "view " + v.name
	}
	err = snapcopy.InOrder(ctx, names, func(ctx context.Context, i int) error {
		return execAll(ctx, writer, retarget.Replace(src.views[i].ddl))
	})
	if err != nil {
		return fmt.Errorf("create views: %w", err)
	}
	_, err = reader.ExecContext(ctx, "COMMIT")
	return err
}

// readSource reads what a copy needs of database name through reader,
// which is in the copy's snapshot transaction.
func readSource(ctx context.Context, reader *sql.Conn, name string) (*source, error) {
	var unsupported []string
	err := snapcopy.Each(ctx, reader, unsupportedSQL, []any{name, name, name, name}, func(r *sql.Rows) error {
		var what string
		if err := r.Scan(&what); err != nil {
			return err
		}
		unsupported = append(unsupported, what)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	if err := snapcopy.Unsupported(unsupported); err != nil {
		return nil, err
	}
	src := &source{}
	if err := reader.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		name).Scan(&src.charset, &src.collation); err != nil {
		return nil, fmt.Errorf("read character set: %w", err)
	}
	if !charsetName.MatchString(src.charset) || !charsetName.MatchString(src.collation) {
		return nil, fmt.Errorf("unexpected character set %q or collation %q", src.charset, src.collation)
	}
	err = snapcopy.Each(ctx, reader, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
		[]any{name}, func(r *sql.Rows) error {
			var o object
			var kind string
			if err := r.Scan(&o.name, &kind); err != nil {
				return err
			}
			if kind == "VIEW" {
				src.views = append(src.views, o)
			} else {
				src.tables = append(src.tables, o)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for i := range src.tables {
		t := &src.tables[i]
		var ignored string
		if err := reader.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(name)+"."+quoteIdent(t.name)).Scan(&ignored, &t.ddl); err != nil {
			return nil, fmt.Errorf("show create table %s: %w", t.name, err)
		}
		err := snapcopy.Each(ctx, reader, insertableSQL, []any{name, t.name}, func(r *sql.Rows) error {
			var c string
			if err := r.Scan(&c); err != nil {
				return err
			}
			t.columns = append(t.columns, c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list columns of %s: %w", t.name, err)
		}
	}
	for i := range src.views {
		v := &src.views[i]
		var ignored, charset, collation string
		if err := reader.QueryRowContext(ctx, "SHOW CREATE VIEW "+quoteIdent(name)+"."+quoteIdent(v.name)).Scan(&ignored, &v.ddl, &charset, &collation); err != nil {
			return nil, fmt.Errorf("show create view %s: %w", v.name, err)
		}
	}
	return src, nil
}

// copyRows reads every row of t in database from with reader, in its
// snapshot transaction, and writes them into database to with writer, in
// multi-row INSERTs.
func copyRows(ctx context.Context, reader, writer *sql.Conn, from, to string, t object) error {
	if len(t.columns) == 0 {
		return nil // only generated columns: MySQL has no table without a stored column
	}
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quoteIdent(c)
	}
	list := strings.Join(cols, ", ")
	// A prepared statement is read in the binary protocol: exact floats.
	sel, err := reader.PrepareContext(ctx, "SELECT "+list+" FROM "+quoteIdent(from)+"."+quoteIdent(t.name))
	if err != nil {
		return err
	}
	defer sel.Close()
	rows, err := sel.QueryContext(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()

	perBatch := min(maxBatchRows, maxPlaceholders/len(cols))
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	insert := "INSERT INTO " + quoteIdent(to) + "." + quoteIdent(t.name) + " (" + list + ") VALUES "
	stmts := map[int]*sql.Stmt{} // by rows per statement
	defer func() {
		for _, st := range stmts {
			_ = st.Close()
		}
	}()
	var (
		args  []any
		n     int
		bytes int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		st, ok := stmts[n]
		if !ok {
			var err error
			if st, err = writer.PrepareContext(ctx, insert+strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")); err != nil {
				return err
			}
			if n == perBatch {
				stmts[n] = st // reused for every full batch
			} else {
				defer st.Close()
			}
		}
		_, err := st.ExecContext(ctx, args...)
		args, n, bytes = args[:0], 0, 0
		return err
	}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range values {
			if b, ok := v.([]byte); ok {
				bytes += len(b)
			}
			args = append(args, v)
		}
		n++
		if n == perBatch || bytes >= maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// execAll runs each statement on conn.
func execAll(ctx context.Context, conn *sql.Conn, stmts ...string) error {
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
