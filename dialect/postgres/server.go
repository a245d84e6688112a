package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
	"github.com/herdhq/herd/dialect/internal/target"
)

// Pool bounds: every tenant pool shares the server's max_connections.
const (
	maxOpenConns    = 4
	maxIdleConns    = 2
	maxConnIdleTime = 5 * time.Minute
	adminOpenConns  = 2 // the server's own pool, for CREATE/DROP/exists
)

// Server is one PostgreSQL server. It is safe for concurrent use.
type Server struct {
	name    string // in herd.yaml
	tenancy dialect.Tenancy
	dsn     *target.DSN
	config  *pgx.ConnConfig // parsed DSN; copied for every pool
	admin   *sql.DB         // on the DSN's database; connects lazily
}

var _ dialect.Server = (*Server)(nil)

// OpenServer checks the DSN ("postgres://…" or "postgresql://…") and
// returns the server, without connecting. It fails when the DSN does not
// parse or cfg names an unknown tenancy; its error never contains the
// password.
func (d *Dialect) OpenServer(_ context.Context, cfg dialect.ServerConfig) (dialect.Server, error) {
	fail := func(err error) error { return fmt.Errorf("postgres: open server %q: %w", cfg.Name, err) }
	tenancy := cfg.Tenancy
	if tenancy == "" {
		tenancy = dialect.DatabasePerTenant
	}
	if tenancy != dialect.DatabasePerTenant && tenancy != dialect.SchemaPerTenant {
		return nil, fail(fmt.Errorf("unknown tenancy %q", tenancy))
	}
	dsn, err := target.ParseURL(cfg.DSN, "postgres", "postgresql")
	if err != nil {
		return nil, fail(err)
	}
	config, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fail(dsn.Scrub(err))
	}
	if config.Database == "" {
		config.Database = config.User // the server's own default
	}
	s := &Server{name: cfg.Name, tenancy: tenancy, dsn: dsn, config: config}
	s.admin = s.pool(config)
	s.admin.SetMaxOpenConns(adminOpenConns)
	s.admin.SetMaxIdleConns(1)
	return s, nil
}

// MaxNameLength returns 63.
func (s *Server) MaxNameLength() int { return MaxNameLength }

// Redacted returns the DSN with its password replaced by "xxxxx".
func (s *Server) Redacted() string { return s.dsn.Redacted() }

// Checkpoint asks the server to write its dirty buffers out now (CHECKPOINT,
// which needs a superuser or pg_checkpoint), so that a measurement that
// follows does not pay for the writes of what came before it.
func (s *Server) Checkpoint(ctx context.Context) error {
	if _, err := s.admin.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("postgres: checkpoint: %w", err)
	}
	return nil
}

// Close closes the server's own pool. Databases opened from it stay open
// until closed themselves.
func (s *Server) Close() error { return s.admin.Close() }

// kind names what a tenant is on this server, for messages and SQL.
func (s *Server) kind() string {
	if s.tenancy == dialect.SchemaPerTenant {
		return "schema"
	}
	return "database"
}

func (s *Server) fail(op, name string, err error) error {
	return fmt.Errorf("postgres: %s %s %q on server %q: %w", op, s.kind(), name, s.name, s.dsn.Scrub(err))
}

// pool returns a bounded pool on config. It does not connect.
func (s *Server) pool(config *pgx.ConnConfig) *sql.DB {
	db := stdlib.OpenDB(*config)
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(maxConnIdleTime)
	return db
}

// Create creates the database (CREATE DATABASE) or schema (CREATE SCHEMA)
// name. It fails if it exists.
func (s *Server) Create(ctx context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("create", name, err)
	}
	// CREATE DATABASE has no IF NOT EXISTS; the server's duplicate error
	// is the check, which also settles races between two creators.
	if _, err := s.admin.ExecContext(ctx, "CREATE "+s.kind()+" "+quoteIdent(name)); err != nil {
		return s.fail("create", name, err)
	}
	return nil
}

// Exists reports whether the database or schema name exists.
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
	q := "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)"
	if s.tenancy == dialect.SchemaPerTenant {
		q = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)"
	}
	var ok bool
	err := s.admin.QueryRowContext(ctx, q, name).Scan(&ok)
	return ok, err
}

// Drop removes the database (terminating its sessions: WITH (FORCE)) or
// the schema with everything in it (CASCADE). It is a no-op when name does
// not exist.
func (s *Server) Drop(ctx context.Context, name string) error {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return s.fail("drop", name, err)
	}
	q := "DROP DATABASE IF EXISTS " + quoteIdent(name) + " WITH (FORCE)"
	if s.tenancy == dialect.SchemaPerTenant {
		q = "DROP SCHEMA IF EXISTS " + quoteIdent(name) + " CASCADE"
	}
	if _, err := s.admin.ExecContext(ctx, q); err != nil {
		return s.fail("drop", name, err)
	}
	return nil
}

// invalidCatalogName is the SQLSTATE of a connection to a database that
// does not exist.
const invalidCatalogName = "3D000"

// Open opens the tenant name, which must exist: a pool on database name
// (Database.Schema "public"), or a pool on the DSN's database whose every
// connection has search_path set to schema name (Database.Schema name).
func (s *Server) Open(ctx context.Context, name string) (*dialect.Database, error) {
	if err := target.CheckName(name, MaxNameLength); err != nil {
		return nil, s.fail("open", name, err)
	}
	config := s.config.Copy()
	schema := "public"
	if s.tenancy == dialect.SchemaPerTenant {
		// A connection's search_path may name a schema that is not there:
		// only the catalog says.
		switch ok, err := s.exists(ctx, name); {
		case err != nil:
			return nil, s.fail("open", name, err)
		case !ok:
			return nil, s.fail("open", name, errors.New("does not exist"))
		}
		if config.RuntimeParams == nil {
			config.RuntimeParams = map[string]string{}
		}
		config.RuntimeParams["search_path"] = quoteIdent(name)
		schema = name
	} else {
		config.Database = name
	}
	db := s.pool(config)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == invalidCatalogName {
			err = errors.New("does not exist")
		}
		return nil, s.fail("open", name, err)
	}
	return dialect.NewDatabase(db, name, schema, db.Close), nil
}

// Control opens the DSN's database as the control database
// (Database.Schema "": herd's tables resolve through the DSN's
// search_path).
func (s *Server) Control(ctx context.Context) (*dialect.Database, error) {
	db := s.pool(s.config.Copy())
	// The control database serves every runner at once: its pool keeps
	// the connections it opens, where a tenant's gives back all but two.
	db.SetMaxIdleConns(maxOpenConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: open control database %q on server %q: %w", s.config.Database, s.name, s.dsn.Scrub(err))
	}
	return dialect.NewDatabase(db, s.config.Database, "", db.Close), nil
}

// Databases returns the names of the server's databases (of its
// database's schemas, with a schema per tenant) that start with prefix.
func (s *Server) Databases(ctx context.Context, prefix string) ([]string, error) {
	q := "SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY datname"
	if s.tenancy == dialect.SchemaPerTenant {
		q = "SELECT nspname FROM pg_catalog.pg_namespace WHERE starts_with(nspname, $1) ORDER BY nspname"
	}
	names, err := snapcopy.Strings(ctx, s.admin, q, prefix)
	if err != nil {
		return nil, s.fail("list", prefix+"*", err)
	}
	return names, nil
}
