package mysql

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/dumptool"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Snapshotter = (*Server)(nil)

// cleanupTimeout bounds the removal of a failed copy, which runs even when
// the caller's context has ended.
const cleanupTimeout = time.Minute

// clientPackage is the Debian package that has mariadb-dump and mariadb.
const clientPackage = "mariadb-client (or mysql-client: mariadb-dump or mysqldump, and mariadb or mysql)"

// charsetName matches a character set or collation name, spliced into
// CREATE DATABASE.
var charsetName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Snapshot copies database src into the new database dst with the
// engine's own tools: it creates dst with src's character set and
// collation, and pipes `mariadb-dump --single-transaction --routines
// --triggers --events src` (mysqldump where mariadb-dump is missing) into
// `mariadb dst`. The copy holds tables with their rows, defaults, keys,
// indexes, foreign keys and AUTO_INCREMENT positions, views, stored
// procedures and functions, triggers and events, each with its DEFINER
// kept: a routine or view with SQL SECURITY DEFINER runs as its definer in
// the copy as in the tenant, so the DSN's user must be allowed to name
// other definers (SUPER, or SET USER on MariaDB) when objects have them.
// Events are copied with their status: where the server's event scheduler
// is ON, an enabled event also runs in the snapshot.
//
// The dump reads src in one consistent-snapshot transaction, so writes
// made to src during the copy are not in it and are not blocked. MySQL's
// DDL is not transactional: dst appears while the copy runs. It fails if
// dst exists; on failure, dst is dropped.
func (s *Server) Snapshot(ctx context.Context, src, dst string) error {
	return s.copyTenant(ctx, "snapshot", src, dst, "--single-transaction", "--hex-blob")
}

// CopySchema copies database src into the new database dst as Snapshot
// does, without the rows (mariadb-dump --no-data).
func (s *Server) CopySchema(ctx context.Context, src, dst string) error {
	return s.copyTenant(ctx, "copy the schema of", src, dst, "--no-data")
}

// copyTenant copies database src into the new database dst with
// mariadb-dump's extra arguments; what names the copy in errors.
func (s *Server) copyTenant(ctx context.Context, what, src, dst string, extra ...string) error {
	fail := func(err error) error {
		return fmt.Errorf("mysql: %s database %q to %q on server %q: %w", what, src, dst, s.name, s.dsn.Scrub(err))
	}
	if err := snapcopy.Names(src, dst, MaxNameLength); err != nil {
		return fail(err)
	}
	if err := s.mustExist(ctx, src); err != nil {
		return fail(err)
	}
	if err := s.copyDatabase(ctx, src, dst, false, extra...); err != nil {
		return fail(err)
	}
	return nil
}

// Restore drops database target and copies snapshot into a new target, as
// Snapshot copies, leaving snapshot intact. DROP DATABASE waits for the
// application's open transactions on the target (at most
// DefaultLockWaitTimeout), and the application's queries fail while the
// target is missing or being filled: restore is an operator's action, and
// the caller holds the tenant's migration lock (a named lock, which
// survives the drop). target need not exist. If the copy fails, target is
// dropped rather than left incomplete; restoring again is the remedy.
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
	if err := s.copyDatabase(ctx, snapshot, target, true, "--single-transaction", "--hex-blob"); err != nil {
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

// copyDatabase copies database from into a new database to with
// mariadb-dump's extra arguments, dropping to first when replace is set,
// and dropping it again when the copy fails.
func (s *Server) copyDatabase(ctx context.Context, from, to string, replace bool, extra ...string) (err error) {
	var charset, collation string
	if err := s.admin.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		from).Scan(&charset, &collation); err != nil {
		return fmt.Errorf("read character set: %w", err)
	}
	if !charsetName.MatchString(charset) || !charsetName.MatchString(collation) {
		return fmt.Errorf("unexpected character set %q or collation %q", charset, collation)
	}
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", int(DefaultLockWaitTimeout/time.Second))); err != nil {
		return err
	}
	if replace {
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(to)); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(to)+" CHARACTER SET "+charset+" COLLATE "+collation); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if _, derr := conn.ExecContext(cctx, "DROP DATABASE IF EXISTS "+quoteIdent(to)); derr != nil {
			err = fmt.Errorf("%w (and dropping the incomplete %q failed: %v)", err, to, derr)
		}
	}()
	return dumptool.Pipe(ctx, s.dump(from, extra...), "", s.load(to))
}

// toolEnv points mariadb-dump and mariadb at the server as the DSN's user:
// the password travels in MYSQL_PWD, never in the arguments.
func (s *Server) toolEnv() []string {
	if s.config.Passwd == "" {
		return nil
	}
	return []string{"MYSQL_PWD=" + s.config.Passwd}
}

// connArgs are the connection arguments of both tools. They read no
// option file, so that a ~/.my.cnf cannot point them elsewhere.
func (s *Server) connArgs() []string {
	args := []string{"--no-defaults", "--user=" + s.config.User}
	switch s.config.Net {
	case "unix":
		args = append(args, "--socket="+s.config.Addr)
	default:
		host, port := s.config.Addr, "3306"
		if i := lastColon(host); i >= 0 {
			host, port = host[:i], host[i+1:]
		}
		args = append(args, "--protocol=TCP", "--host="+host, "--port="+port)
	}
	if s.config.TLS != nil || s.config.TLSConfig != "" && s.config.TLSConfig != "false" {
		args = append(args, "--ssl")
	}
	return args
}

func lastColon(addr string) int {
	for i := len(addr) - 1; i >= 0; i-- {
		switch addr[i] {
		case ':':
			return i
		case ']':
			return -1
		}
	}
	return -1
}

// dump is mariadb-dump of database db with its routines, triggers and
// events, and extra arguments.
func (s *Server) dump(db string, extra ...string) dumptool.Command {
	args := append(s.connArgs(), "--routines", "--triggers", "--events", "--skip-dump-date", "--default-character-set=utf8mb4")
	args = append(append(args, extra...), "--", db)
	return dumptool.Command{Tools: []string{"mariadb-dump", "mysqldump"}, Package: clientPackage, Args: args,
		Env: s.toolEnv(), Strip: []string{"MYSQL_"}}
}

// load is the mariadb client on database db, stopping at the first error.
func (s *Server) load(db string) dumptool.Command {
	args := append(s.connArgs(), "--default-character-set=utf8mb4", "--binary-mode",
		"--init-command=SET SESSION lock_wait_timeout = "+strconv.Itoa(int(DefaultLockWaitTimeout/time.Second)), "--database="+db)
	return dumptool.Command{Tools: []string{"mariadb", "mysql"}, Package: clientPackage, Args: args,
		Env: s.toolEnv(), Strip: []string{"MYSQL_"}}
}
