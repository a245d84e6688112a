package postgres

import (
	"context"
	"io"
	"strconv"

	"github.com/herdhq/herd/dialect/internal/dumptool"
)

// clientPackage is the Debian package that has pg_dump and psql.
const clientPackage = "postgresql-client (pg_dump and psql, of the server's major version or newer)"

// libpqParams are the DSN parameters passed on to pg_dump and psql, as
// the libpq environment variables that carry them.
var libpqParams = map[string]string{
	"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
	"sslcrl": "PGSSLCRL", "connect_timeout": "PGCONNECT_TIMEOUT", "target_session_attrs": "PGTARGETSESSIONATTRS",
}

// toolEnv is the environment that points pg_dump and psql at the server
// as the DSN's role: the password travels in PGPASSWORD, never in the
// arguments.
func (s *Server) toolEnv() []string {
	env := []string{
		"PGHOST=" + s.config.Host,
		"PGPORT=" + strconv.Itoa(int(s.config.Port)),
		"PGUSER=" + s.config.User,
		"PGAPPNAME=herd",
	}
	if s.config.Password != "" {
		env = append(env, "PGPASSWORD="+s.config.Password)
	}
	q := s.dsn.URL.Query()
	for param, name := range libpqParams {
		if v := q.Get(param); v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// dump is pg_dump of database db in plain SQL, with extra arguments
// (--schema=…, --schema-only). It reads db in one snapshot, waiting at
// most DefaultLockTimeout for each table's lock.
func (s *Server) dump(db string, extra ...string) dumptool.Command {
	args := append([]string{"--no-password", "--format=plain", "--quote-all-identifiers",
		"--lock-wait-timeout=" + strconv.FormatInt(DefaultLockTimeout.Milliseconds(), 10)}, extra...)
	args = append(args, "--dbname="+db)
	return dumptool.Command{Tools: []string{"pg_dump"}, Package: clientPackage, Args: args, Env: s.toolEnv(), Strip: []string{"PG"}}
}

// load is psql on database db, running its input in one transaction and
// stopping at the first error.
func (s *Server) load(db string) dumptool.Command {
	return dumptool.Command{Tools: []string{"psql"}, Package: clientPackage,
		Args: []string{"--no-password", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
			"--output=/dev/null", "--dbname=" + db},
		Env: s.toolEnv(), Strip: []string{"PG"}}
}

// pipe streams dump into load after prelude.
func (s *Server) pipe(ctx context.Context, dump dumptool.Command, prelude string, load dumptool.Command) error {
	return dumptool.Pipe(ctx, dump, prelude, load)
}

// run runs c with stdin (nil: none), its output going to stdout (nil:
// discarded).
func (s *Server) run(ctx context.Context, c dumptool.Command, stdin io.Reader, stdout io.Writer) error {
	if stdout == nil {
		stdout = io.Discard
	}
	return dumptool.RunTo(ctx, c, stdin, stdout)
}
