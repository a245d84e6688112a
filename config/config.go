package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Config is a loaded and validated herd.yaml. Relative paths in it are
// already resolved against the file's folder and ${VAR} references in DSNs
// and webhooks are already expanded, so a Config holds secrets: show its
// DSNs only through RedactDSN, and webhook URLs through RedactURL. A
// Config is not modified by its methods and is safe for concurrent use.
type Config struct {
	// Path is the file the configuration was read from, as given to Load
	// or Parse; "" when Parse was given no path.
	Path string
	// Control is the DSN of the control (and system) database. A relative
	// sqlite: path is resolved against the folder of Path.
	Control string
	// Servers are the named connection targets that hold tenant
	// databases, in file order.
	Servers []Server
	// DefaultServer is the name of the server new tenants go to: the
	// declared default_server, or the only server.
	DefaultServer string
	// TenantDatabase is the template that names a tenant's database (or
	// schema); it contains {code} exactly once.
	TenantDatabase string
	// Migrations is the migrations folder, resolved against the folder of
	// Path.
	Migrations string
	// AllowExperimental allows pre-release versions (2.1.0-dev) and
	// releases marked experimental.
	AllowExperimental bool
	// Releases are the declared releases in semver precedence order.
	Releases []Release
	// LockTimeout bounds each lock wait of a migration statement
	// (lock_timeout, default DefaultLockTimeout): one that waits longer
	// gives up, so that the application's queries do not queue behind it.
	LockTimeout time.Duration
	// Shadow tunes shadow migrations' cut-over (shadow).
	Shadow Shadow
	// Customisations are the agreed differences from the reference
	// schema (customisations), which herd drift does not count as drift.
	Customisations Customisations
	// OnConflict says what happens to a tenant whose pending path
	// conflicts with its live schema (on_conflict): ConflictRefuse
	// (default), ConflictAdoptIdentical or ConflictSkip.
	OnConflict OnConflict
	// DriftFresh is how long a stored drift check that found a tenant at
	// its version's reference spares the pre-flight's inspection of it
	// (drift_fresh; 0, the default: the pre-flight always inspects).
	DriftFresh time.Duration
	// LockRetries is how many times a migration that gave up on a lock is
	// tried again (lock_retries, default DefaultLockRetries; 0: never).
	LockRetries int
	// Rollout is how rollouts pace, guard and schedule their work, with
	// the defaults of DefaultRollout for keys the file leaves out.
	Rollout Rollout
	// LargeTenants says which tenants are large (see SizeClass), with the
	// defaults of DefaultLargeTenants when the file has no large_tenants.
	LargeTenants LargeTenants
	// Probes are the health probes run on a tenant after its migration.
	Probes Probes
	// Windows are the tenants' maintenance windows; none means a rollout
	// may touch any tenant at any time.
	Windows Windows
	// Webhooks are the receivers of herd's events, in file order. They
	// hold signing secrets.
	Webhooks []Webhook
	// Flags are the declared feature flags, sorted by name.
	Flags []Flag
	// Serve is what herd serve needs to know of itself (serve).
	Serve Serve
	// Environments are the declared environments, in file order; none
	// means the top-level Control serves every command.
	Environments []Environment
	// Metrics is what herd serve's /metrics exports (metrics).
	Metrics Metrics
	// Env is the environment this view of the file is for (see
	// InEnvironment), or "" for the top level.
	Env string
}

// The defaults of lock_timeout and lock_retries.
const (
	DefaultLockTimeout = 5 * time.Second
	DefaultLockRetries = 3
)

// Server is one named connection target that holds tenant databases.
type Server struct {
	// Name is the server's key under servers: in herd.yaml.
	Name string
	// DSN is the server's DSN with ${VAR} references expanded and a
	// relative sqlite: path resolved: "sqlite:FOLDER", "postgres://…" or
	// "mysql://…". It may hold a password: show it through RedactDSN.
	DSN string
	// Tenancy is "database" (one database per tenant, the default) or
	// "schema" (one PostgreSQL schema per tenant).
	Tenancy string
	// Throttle, if set, is the server's throttle probe: chunked
	// migrations of its tenants wait before each range while it reads
	// over its maximum.
	Throttle *Throttle
	// Line is the line of the server's name in the file.
	Line int
}

// Throttle is a server's throttle probe (servers.NAME.throttle): a query
// returning one number, replica lag in seconds say, and the most it may
// read for chunked migrations to go on.
type Throttle struct {
	// Query returns one row of one numeric column; it runs on the
	// migrating session's connection, in the tenant's database.
	Query string
	// Max is the greatest value at which ranges go on (max).
	Max float64
	// Interval is how long herd waits before probing again (interval,
	// default DefaultThrottleInterval).
	Interval time.Duration
	// Line is the line of throttle: in the file.
	Line int
}

// DefaultThrottleInterval is a throttle probe's interval when herd.yaml
// gives none.
const DefaultThrottleInterval = time.Second

// Release is one release of the compatibility matrix: what ships together.
type Release struct {
	// Name is the release's key as written, e.g. "v1.0.0".
	Name string
	// Version is Name parsed as a semantic version.
	Version *semver.Version
	// System and Tenant are the schema versions the release brings the
	// system database and the tenant databases to; Version when not
	// declared. An omitted system: is resolved against the migrations by
	// release.Matrix.SystemSchema, which is what every command follows.
	System, Tenant *semver.Version
	// SystemDeclared reports whether the release sets system:.
	SystemDeclared bool
	// Features are the features the release adds; Removes, the features of
	// earlier releases it removes.
	Features, Removes []string
	// BreakingChanges marks a release that breaks compatibility with the
	// previous one.
	BreakingChanges bool
	// Experimental marks a release that is used only where
	// allow_experimental is true.
	Experimental bool
	// RollbackPoint is the Name of the declared release one can go back to
	// from this one, or "" when there is none.
	RollbackPoint string
	// Line is the line of the release's name in the file.
	Line int
}

// Load reads and parses the herd.yaml at path. A file that cannot be read
// gives an error naming it; a file that is not valid gives an *Error that
// lists every problem found, each with the file and line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, path)
}

// Parse parses and validates the contents of a herd.yaml. path is the file
// the data came from: it names the file in errors ("herd.yaml" when path is
// "") and relative paths are resolved against its folder (against the
// current directory when path is ""). ${VAR} references in DSNs are
// expanded from the environment. When the data is not valid, Parse returns
// an *Error that lists every problem found.
func Parse(data []byte, path string) (*Config, error) {
	return parse(data, path, os.LookupEnv)
}

// Server returns the server called name, or the default server when name
// is "". An unknown name gives an error that lists the known servers.
func (c *Config) Server(name string) (Server, error) {
	if name == "" {
		name = c.DefaultServer
	}
	names := make([]string, 0, len(c.Servers))
	for _, s := range c.Servers {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return Server{}, fmt.Errorf("unknown server %q: no servers are configured", name)
	}
	return Server{}, fmt.Errorf("unknown server %q (known: %s)", name, strings.Join(names, ", "))
}

// ServerNames returns the names of the servers, in file order.
func (c *Config) ServerNames() []string {
	names := make([]string, 0, len(c.Servers))
	for _, s := range c.Servers {
		names = append(names, s.Name)
	}
	return names
}

// TenantDatabaseName renders the tenant_database template for the tenant
// code: the name of the tenant's database (or schema). It does not check
// the code or the name's length; the engines do.
func (c *Config) TenantDatabaseName(code string) string {
	return strings.Replace(c.TenantDatabase, "{code}", code, 1)
}

// Release returns the declared release called name, written with or
// without its leading v ("v1.0.0" and "1.0.0" find the same release), and
// whether there is one.
func (c *Config) Release(name string) (Release, bool) {
	v, err := parseVersion(name)
	for _, r := range c.Releases {
		if r.Name == name || (err == nil && r.Version.Equal(v)) {
			return r, true
		}
	}
	return Release{}, false
}

// parseVersion parses a strict semantic version, MAJOR.MINOR.PATCH with
// optional pre-release and build, allowing one leading v.
func parseVersion(s string) (*semver.Version, error) {
	return semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
}
