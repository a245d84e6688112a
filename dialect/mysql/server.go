package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
	"github.com/herdhq/herd/dialect/internal/target"
)

// Pool bounds and the dial timeout used when the DSN sets none.
const (
	maxOpenConns    = 4
	maxIdleConns    = 2
	maxConnIdleTime = 5 * time.Minute
	adminOpenConns  = 2 // the server's own pool, for CREATE/DROP/exists
	dialTimeout     = 10 * time.Second
)

// Server is one MySQL or MariaDB server. It is safe for concurrent use.
type Server struct {
	name   string // in herd.yaml
	dsn    *target.DSN
	config *mysql.Config // parsed DSN; cloned for every pool
	admin  *sql.DB       // on no database; connects lazily
}

var _ dialect.Server = (*Server)(nil)

// OpenServer checks the DSN ("mysql://user:password@host:port/db?params")
// and returns the server, without connecting. It fails when the DSN does
// not parse, its parameters are invalid for the driver, or cfg asks for
// schema-per-tenant tenancy; its error never contains the password.
func (d *Dialect) OpenServer(_ context.Context, cfg dialect.ServerConfig) (dialect.Server, error) {
	fail := func(err error) error { return fmt.Errorf("mysql: open server %q: %w", cfg.Name, err) }
	if cfg.Tenancy != "" && cfg.Tenancy != dialect.DatabasePerTenant {
		return nil, fail(fmt.Errorf("tenancy %q is not supported (only %q)", cfg.Tenancy, dialect.DatabasePerTenant))
	}
	dsn, err := target.ParseURL(cfg.DSN, "mysql")
	if err != nil {
		return nil, fail(err)
	}
	config, err := driverConfig(dsn)
	if err != nil {
		return nil, fail(dsn.Scrub(err))
	}
	s := &Server{name: cfg.Name, dsn: dsn, config: config}
	admin := config.Clone()
	admin.DBName = ""
	if s.admin, err = s.pool(admin); err != nil {
		return nil, fail(dsn.Scrub(err))
	}
	s.admin.SetMaxOpenConns(adminOpenConns)
	s.admin.SetMaxIdleConns(1)
	return s, nil
}

// driverConfig turns a mysql:// URL into the driver's configuration. The
// driver parses the parameters (so its own are honoured and any other
// becomes a session variable); herd then fixes what it relies on.
func driverConfig(dsn *target.DSN) (*mysql.Config, error) {
	q := dsn.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var params []string
	for _, k := range keys {
		for _, v := range q[k] {
			// QueryEscape leaves no '/', which would confuse the
			// driver's search for the database part.
			params = append(params, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	config, err := mysql.ParseDSN("tcp(" + dsn.URL.Host + ")/?" + strings.Join(params, "&"))
	if err != nil {
		return nil, fmt.Errorf("invalid parameters: %w", err)
	}
	if config.Params != nil {
		for k := range config.Params {
			if strings.ContainsAny(k, "/`'\";") {
				return nil, fmt.Errorf("invalid parameter name %q", k)
			}
		}
	}
	config.User = dsn.URL.User.Username()
	config.Passwd = dsn.Password()
	config.DBName = dsn.Database()
	if strings.Contains(config.DBName, "/") {
		return nil, errors.New("malformed dsn: the path must be one database name")
	}
	config.ParseTime = true
	// RowsAffected counts matched rows, as on the other engines, so a
	// conditional UPDATE that changes nothing still reports its match.
	config.ClientFoundRows = true
	config.MultiStatements = false
	// Parameters are interpolated on the client unless the DSN says
	// otherwise: a query with arguments is then one round trip instead of
	// prepare, execute and close, which is most of herd's bookkeeping
	// cost on MySQL (each ledger write runs between two statements of a
	// migration). The driver escapes for the connection's character set
	// and sql_mode, and falls back to a prepared statement where it cannot.
	if !q.Has("interpolateParams") {
		config.InterpolateParams = true
	}
	if config.Timeout == 0 {
		config.Timeout = dialTimeout
	}
	return config, nil
}

// MaxNameLength returns 64.
func (s *Server) MaxNameLength() int { return MaxNameLength }

// Redacted returns the DSN with its password replaced by "xxxxx".
func (s *Server) Redacted() string { return s.dsn.Redacted() }

// Close closes the server's own pool. Databases opened from it stay open
// until closed themselves.
func (s *Server) Close() error { return s.admin.Close() }

func (s *Server) fail(op, name string, err error) error {
	return fmt.Errorf("mysql: %s database %q on server %q: %w", op, name, s.name, s.dsn.Scrub(err))
}

// pool returns a bounded pool on config. It does not connect.
func (s *Server) pool(config *mysql.Config) (*sql.DB, error) {
	c, err := mysql.NewConnector(config)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(maxConnIdleTime)
	return db, nil
}

// Create creates the database name. It fails if it exists.
func (s *Server) Create(ctx context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("create", name, err)
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		return s.fail("create", name, err)
	}
	return nil
}

// Exists reports whether the database name exists.
func (s *Server) Exists(ctx context.Context, name string) (bool, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return false, s.fail("check", name, err)
	}
	ok, err := s.exists(ctx, name)
	if err != nil {
		return false, s.fail("check", name, err)
	}
	return ok, nil
}

// exists is Exists for a checked name, with the server's error unwrapped.
func (s *Server) exists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.admin.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n)
	return n > 0, err
}

// Drop removes the database name and everything in it. It is a no-op when
// name does not exist.
func (s *Server) Drop(ctx context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("drop", name, err)
	}
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)); err != nil {
		return s.fail("drop", name, err)
	}
	return nil
}

// errBadDB is MySQL's error for a connection to a database that does not
// exist (ER_BAD_DB_ERROR).
const errBadDB = 1049

// Open opens the database name, which must exist. Database.Schema is name,
// so that herd's tables are qualified with it.
func (s *Server) Open(ctx context.Context, name string) (*dialect.Database, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return nil, s.fail("open", name, err)
	}
	config := s.config.Clone()
	config.DBName = name
	db, err := s.pool(config)
	if err != nil {
		return nil, s.fail("open", name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if myErr, ok := errors.AsType[*mysql.MySQLError](err); ok && myErr.Number == errBadDB {
			err = errors.New("does not exist")
		}
		return nil, s.fail("open", name, err)
	}
	return dialect.NewDatabase(db, name, name, db.Close), nil
}

// Control opens the DSN's database as the control database
// (Database.Schema ""). It fails when the DSN names no database.
func (s *Server) Control(ctx context.Context) (*dialect.Database, error) {
	name := s.config.DBName
	fail := func(err error) error {
		return fmt.Errorf("mysql: open control database %q on server %q: %w", name, s.name, s.dsn.Scrub(err))
	}
	if name == "" {
		return nil, fail(errors.New("the dsn names no database (want mysql://user:password@host:port/database)"))
	}
	db, err := s.pool(s.config.Clone())
	if err != nil {
		return nil, fail(err)
	}
	// The control database serves every runner at once: its pool keeps
	// the connections it opens, where a tenant's gives back all but two.
	db.SetMaxIdleConns(maxOpenConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fail(err)
	}
	return dialect.NewDatabase(db, name, "", db.Close), nil
}

// Databases returns the names of the server's databases that start with
// prefix.
func (s *Server) Databases(ctx context.Context, prefix string) ([]string, error) {
	names, err := snapcopy.Strings(ctx, s.admin,
		"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(?)) = ? ORDER BY SCHEMA_NAME", prefix, prefix)
	if err != nil {
		return nil, s.fail("list", prefix+"*", err)
	}
	return names, nil
}
