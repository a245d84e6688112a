package herdtest

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/dialect/sqlite"
	"github.com/herdhq/herd/source"
)

// Engine is one engine (and tenancy) a fleet test runs on.
type Engine struct {
	// Name is the engine's dialect name; Label adds the tenancy.
	Name, Label string
	tenancy     dialect.Tenancy
	baseDSN     func(t testing.TB) string
	dialect     func() dialect.Dialect
}

// Engines are every engine setup fleet tests run on: SQLite, PostgreSQL
// with a database per tenant and with a schema per tenant, and
// MySQL/MariaDB. The real-server ones skip (or fail under CI=true) when
// their DSN is not set.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", Label: "sqlite", dialect: sqliteDialect},
		{Name: "postgres", Label: "postgres", tenancy: dialect.DatabasePerTenant, baseDSN: PostgresDSN, dialect: postgresDialect},
		{Name: "postgres", Label: "postgres-schema", tenancy: dialect.SchemaPerTenant, baseDSN: PostgresDSN, dialect: postgresDialect},
		{Name: "mysql", Label: "mysql", baseDSN: MySQLDSN, dialect: mysqlDialect},
	}
}

// ForEachEngine runs fn as a parallel subtest of t on every engine of
// Engines, named by its Label.
func ForEachEngine(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines() {
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// Dialects returns one of each engine, as cmd/herd wires them.
func Dialects() []dialect.Dialect {
	return []dialect.Dialect{sqlite.New(), postgres.New(), mysql.New()}
}

// SourceEngines returns the dialects of Dialects that names name (every one
// when names is empty), as the engines a migration source serves: for
// loading a source as herd would, with Options.Known set to
// config.Engines().
func SourceEngines(names ...string) []source.Engine {
	var out []source.Engine
	for _, d := range Dialects() {
		if len(names) == 0 || slices.Contains(names, d.Name()) {
			out = append(out, d)
		}
	}
	return out
}

func sqliteDialect() dialect.Dialect   { return sqlite.New() }
func postgresDialect() dialect.Dialect { return postgres.New() }
func mysqlDialect() dialect.Dialect    { return mysql.New() }

// SchemaPerTenant reports whether tenants are Postgres schemas.
func (e Engine) SchemaPerTenant() bool { return e.tenancy == dialect.SchemaPerTenant }

// Dialect returns a new dialect of the engine, for a test to ask what it
// can do.
func (e Engine) Dialect() dialect.Dialect { return e.dialect() }

// Files reports whether the engine's databases are files, with no server
// to connect to (a dialect.Files: SQLite).
func (e Engine) Files() bool {
	_, ok := e.dialect().(dialect.Files)
	return ok
}

// ServerDSN returns the DSN of the real server the engine's tests use,
// from the environment: the test is skipped when it is not set, except
// under CI=true, where it fails. It is "" for an engine without a server.
func (e Engine) ServerDSN(t testing.TB) string {
	t.Helper()
	if e.baseDSN == nil {
		return ""
	}
	return e.baseDSN(t)
}

// Fleet is a scratch fleet: a folder with herd.yaml and a copy of the
// migrations, a fresh control database and a tenant naming template no
// other test shares. Its databases are dropped when the test ends.
type Fleet struct {
	Engine Engine
	// Dir holds herd.yaml and migrations/.
	Dir string
	// ConfigPath is Dir/herd.yaml.
	ConfigPath string
	// ControlDSN and ServerDSN are the DSNs written into herd.yaml.
	ControlDSN, ServerDSN string
	// Prefix starts every tenant database name of this fleet.
	Prefix string
	// ServerFields, if set, are more keys of every server's mapping in the
	// herd.yaml Config renders, in YAML flow style ("throttle: {…}").
	ServerFields string
}

// NewFleet makes a scratch fleet on e whose migrations are a copy of
// migrations (a folder holding system/ and tenant/).
func (e Engine) NewFleet(t testing.TB, migrations fs.FS) *Fleet {
	t.Helper()
	f := &Fleet{Engine: e, Dir: t.TempDir(), Prefix: Name(t, "t")}
	f.ConfigPath = filepath.Join(f.Dir, "herd.yaml")
	if err := os.CopyFS(filepath.Join(f.Dir, "migrations"), migrations); err != nil {
		t.Fatalf("copy migrations: %v", err)
	}
	if files, ok := e.dialect().(dialect.Files); ok {
		f.ControlDSN = files.FileDSN(filepath.Join(f.Dir, "data", "control.db"))
		f.ServerDSN = files.FileDSN(filepath.Join(f.Dir, "data", "tenants"))
	} else {
		f.ControlDSN, f.ServerDSN = e.controlDatabase(t)
		if !e.SchemaPerTenant() {
			// Schemas per tenant go with the control database.
			t.Cleanup(func() { f.dropLeftovers(t) })
		}
	}
	f.WriteConfig(t, f.Config(""))
	return f
}

// dropLeftovers drops every database on the fleet's server whose name
// starts with the fleet's prefix, once the test's own clean-up has run:
// those a test did not drop itself, such as a switched tenant's shadow or
// a database a killed herd made. Failures are logged, not failed: the
// test's verdict is its own.
func (f *Fleet) dropLeftovers(t testing.TB) {
	ctx := context.Background()
	srv, err := f.Engine.dialect().OpenServer(ctx, dialect.ServerConfig{Name: "main", DSN: f.ServerDSN})
	if err != nil {
		t.Logf("drop leftover databases: %v", err)
		return
	}
	defer srv.Close()
	lister, ok := srv.(dialect.Lister)
	if !ok {
		return
	}
	names, err := lister.Databases(ctx, f.Prefix+"_")
	if err != nil {
		t.Logf("drop leftover databases: %v", err)
		return
	}
	for _, name := range names {
		if err := srv.Drop(ctx, name); err != nil {
			t.Logf("drop leftover database %s: %v", name, err)
		}
	}
}

// NewControl returns the DSN of another scratch control database on the
// fleet's engine, for an environment of its own: a file beside the
// fleet's control file on SQLite (created by the first herd command that
// uses it), else a fresh database dropped when the test ends.
func (f *Fleet) NewControl(t testing.TB, label string) string {
	t.Helper()
	if files, ok := f.Engine.dialect().(dialect.Files); ok {
		return files.FileDSN(filepath.Join(f.Dir, "data", label+".db"))
	}
	dsn, _ := f.Engine.controlDatabase(t)
	return dsn
}

// controlDatabase creates a scratch control database on the engine's
// server and returns its DSN and the tenant server's DSN.
func (e Engine) controlDatabase(t testing.TB) (controlDSN, serverDSN string) {
	t.Helper()
	base := e.baseDSN(t)
	ctx := context.Background()
	srv, err := e.dialect().OpenServer(ctx, dialect.ServerConfig{Name: "test", DSN: base})
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	name := Name(t, "herd_t_")
	if err := srv.Create(ctx, name); err != nil {
		t.Fatalf("create control database: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Drop(context.Background(), name); err != nil {
			t.Errorf("drop control database %s: %v", name, err)
		}
		srv.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", e.Name, err)
	}
	u.Path = "/" + name
	controlDSN = u.String()
	if e.tenancy == dialect.SchemaPerTenant {
		return controlDSN, controlDSN
	}
	return controlDSN, base
}

// Config renders a herd.yaml for the fleet with one server, main; extra
// is appended verbatim.
func (f *Fleet) Config(extra string) string {
	return f.ConfigServers([]string{"main"}, extra)
}

// ConfigServers renders a herd.yaml for the fleet whose servers, under the
// given names (the first is the default), are all the fleet's one real
// server; extra is appended verbatim.
func (f *Fleet) ConfigServers(names []string, extra string) string {
	fields := []string{fmt.Sprintf("dsn: %q", f.ServerDSN)}
	if f.Engine.tenancy == dialect.SchemaPerTenant {
		fields = append(fields, "tenancy: schema")
	}
	if f.ServerFields != "" {
		fields = append(fields, f.ServerFields)
	}
	server := fmt.Sprintf("%q", f.ServerDSN)
	if len(fields) > 1 {
		server = "{" + strings.Join(fields, ", ") + "}"
	}
	var servers strings.Builder
	for _, name := range names {
		fmt.Fprintf(&servers, "  %s: %s\n", name, server)
	}
	if len(names) > 1 {
		fmt.Fprintf(&servers, "default_server: %s\n", names[0])
	}
	return fmt.Sprintf(`control: %q
servers:
%stenant_database: %s_{code}
migrations: ./migrations
%s`, f.ControlDSN, servers.String(), f.Prefix, extra)
}

// WriteConfig replaces the fleet's herd.yaml.
func (f *Fleet) WriteConfig(t testing.TB, body string) {
	t.Helper()
	if err := os.WriteFile(f.ConfigPath, []byte(body), 0o644); err != nil {
		t.Fatalf("write herd.yaml: %v", err)
	}
}

// Load reads the fleet's herd.yaml.
func (f *Fleet) Load(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(f.ConfigPath)
	if err != nil {
		t.Fatalf("load herd.yaml: %v", err)
	}
	return cfg
}

// DropTenants drops the databases (or schemas) of the given tenants.
func (f *Fleet) DropTenants(t testing.TB, codes []string) {
	t.Helper()
	cfg := f.Load(t)
	for _, s := range cfg.Servers {
		srv, err := f.openServer(s)
		if err != nil {
			t.Errorf("open server %s: %v", s.Name, err)
			continue
		}
		for _, code := range codes {
			if err := srv.Drop(context.Background(), cfg.TenantDatabaseName(code)); err != nil {
				t.Errorf("drop tenant %s: %v", code, err)
			}
		}
		srv.Close()
	}
}

// CreateDatabase creates tenant code's database (or schema) on the
// default server without herd, as one made before herd managed it.
func (f *Fleet) CreateDatabase(t testing.TB, code string) {
	t.Helper()
	cfg := f.Load(t)
	s, err := cfg.Server("")
	if err != nil {
		t.Fatalf("default server: %v", err)
	}
	srv, err := f.openServer(s)
	if err != nil {
		t.Fatalf("open server %s: %v", s.Name, err)
	}
	defer srv.Close()
	if err := srv.Create(context.Background(), cfg.TenantDatabaseName(code)); err != nil {
		t.Fatalf("create the database of %s: %v", code, err)
	}
}

func (f *Fleet) openServer(s config.Server) (dialect.Server, error) {
	return f.Engine.dialect().OpenServer(context.Background(),
		dialect.ServerConfig{Name: s.Name, DSN: s.DSN, Tenancy: dialect.Tenancy(s.Tenancy)})
}
