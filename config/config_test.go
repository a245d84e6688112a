package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// yml joins lines into a YAML document, so that a case's line numbers can
// be read off its position in the list.
func yml(lines ...string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}

// release is a Release with its versions as strings, for comparison.
type release struct {
	Name, Version, System, Tenant string
	Features, Removes             []string
	BreakingChanges, Experimental bool
	RollbackPoint                 string
	Line                          int
}

func releases(rs []config.Release) []release {
	out := make([]release, len(rs))
	for i, r := range rs {
		out[i] = release{
			Name: r.Name, Version: r.Version.String(), System: r.System.String(), Tenant: r.Tenant.String(),
			Features: r.Features, Removes: r.Removes,
			BreakingChanges: r.BreakingChanges, Experimental: r.Experimental,
			RollbackPoint: r.RollbackPoint, Line: r.Line,
		}
	}
	return out
}

func TestParseFullFile(t *testing.T) {
	t.Parallel()
	data := yml(
		"# control (and system) database", // 1
		"control: sqlite:./herd-data/control.db?_pragma=busy_timeout(5000)",
		"servers:",
		"  default: sqlite:./herd-data/tenants",
		"  pg: postgres://postgres:${PGPASSWORD}@127.0.0.1:5432/postgres", // 5
		`  shared: {dsn: "postgres://postgres@127.0.0.1:5432/fleet", tenancy: schema}`,
		"  my-sql:",
		"    dsn: mysql://root@127.0.0.1:3306/herd",
		"    tenancy: database",
		"  abs: sqlite:/var/lib/herd/tenants", // 10
		"default_server: pg",
		"tenant_database: school_erp_trust_{code}",
		"migrations: ./migrations",
		"allow_experimental: true",
		"releases:", // 15
		"  v2.0.0:",
		"    features: [fees]",
		"    removes: [legacy_reports]",
		"    breaking_changes: true",
		"    rollback_point: v1.1.0", // 20
		"  v1.0.0:",
		"    system: 1.0.0",
		"    tenant: 1.0.0",
		"    features: [basic_erp, legacy_reports]",
		"    removes: []", // 25
		"    breaking_changes: false",
		"    rollback_point: null",
		"    experimental: false",
		"  1.1.0:",
		"    tenant: 1.0.1", // 30
		"    features:",
		"      - custom_fields",
		"    rollback_point: 1.0.0",
		"  v2.1.0-dev:",
		"    experimental: true", // 35
		"  v1.2.0:",
	)
	path := filepath.Join("etc", "herd", "herd.yaml")
	cfg, err := config.ParseEnv(data, path, map[string]string{"PGPASSWORD": "p@ss"})
	require.NoError(t, err)

	dir := filepath.Join("etc", "herd")
	require.Equal(t, path, cfg.Path)
	require.Equal(t, "sqlite:"+filepath.Join(dir, "herd-data", "control.db")+"?_pragma=busy_timeout(5000)", cfg.Control)
	require.Equal(t, []config.Server{
		{Name: "default", DSN: "sqlite:" + filepath.Join(dir, "herd-data", "tenants"), Tenancy: "database", Line: 4},
		{Name: "pg", DSN: "postgres://postgres:p@ss@127.0.0.1:5432/postgres", Tenancy: "database", Line: 5},
		{Name: "shared", DSN: "postgres://postgres@127.0.0.1:5432/fleet", Tenancy: "schema", Line: 6},
		{Name: "my-sql", DSN: "mysql://root@127.0.0.1:3306/herd", Tenancy: "database", Line: 7},
		{Name: "abs", DSN: "sqlite:/var/lib/herd/tenants", Tenancy: "database", Line: 10},
	}, cfg.Servers)
	require.Equal(t, "pg", cfg.DefaultServer)
	require.Equal(t, "school_erp_trust_{code}", cfg.TenantDatabase)
	require.Equal(t, filepath.Join(dir, "migrations"), cfg.Migrations)
	require.True(t, cfg.AllowExperimental)
	require.Equal(t, []release{
		{Name: "v1.0.0", Version: "1.0.0", System: "1.0.0", Tenant: "1.0.0",
			Features: []string{"basic_erp", "legacy_reports"}, Line: 21},
		{Name: "1.1.0", Version: "1.1.0", System: "1.1.0", Tenant: "1.0.1",
			Features: []string{"custom_fields"}, RollbackPoint: "v1.0.0", Line: 29},
		{Name: "v1.2.0", Version: "1.2.0", System: "1.2.0", Tenant: "1.2.0", Line: 36},
		{Name: "v2.0.0", Version: "2.0.0", System: "2.0.0", Tenant: "2.0.0",
			Features: []string{"fees"}, Removes: []string{"legacy_reports"},
			BreakingChanges: true, RollbackPoint: "1.1.0", Line: 16},
		{Name: "v2.1.0-dev", Version: "2.1.0-dev", System: "2.1.0-dev", Tenant: "2.1.0-dev",
			Experimental: true, Line: 34},
	}, releases(cfg.Releases))
}

func TestParseMinimal(t *testing.T) {
	t.Parallel()
	cfg, err := config.ParseEnv(yml(
		"control: postgres://herd@db:5432/herd",
		"servers:",
		"  only: mysql://root@db:3306/x",
		"tenant_database: '{code}'",
		"migrations: /srv/migrations",
	), "", nil)
	require.NoError(t, err)
	require.Equal(t, "", cfg.Path)
	require.Equal(t, "only", cfg.DefaultServer)
	require.Equal(t, "/srv/migrations", cfg.Migrations)
	require.False(t, cfg.AllowExperimental)
	require.Empty(t, cfg.Releases)
	require.Equal(t, "abc", cfg.TenantDatabaseName("abc"))
}

func TestParseRelativeWithoutPath(t *testing.T) {
	t.Parallel()
	cfg, err := config.ParseEnv(yml(
		"control: sqlite:./herd-data/control.db",
		"servers: {default: 'sqlite:./herd-data/tenants'}",
		"tenant_database: t_{code}",
		"migrations: ./migrations",
	), "", nil)
	require.NoError(t, err)
	require.Equal(t, "sqlite:./herd-data/control.db", cfg.Control)
	require.Equal(t, "sqlite:./herd-data/tenants", cfg.Servers[0].DSN)
	require.Equal(t, "./migrations", cfg.Migrations)
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "herd.yaml")
	require.NoError(t, os.WriteFile(path, yml(valid...), 0o600))

	cfg, err := config.Load(path)
	require.NoError(t, err)
	require.Equal(t, path, cfg.Path)
	require.Equal(t, "sqlite:"+filepath.Join(dir, "control.db"), cfg.Control)
	require.Equal(t, "sqlite:"+filepath.Join(dir, "tenants"), cfg.Servers[0].DSN)
	require.Equal(t, filepath.Join(dir, "migrations"), cfg.Migrations)

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, yml(with(4, "tenant_database: t")...), 0o600))
	_, err = config.Load(bad)
	require.EqualError(t, err, bad+`:4: tenant_database: "t" must contain {code} exactly once, not 0 times`)

	missing := filepath.Join(dir, "missing.yaml")
	_, err = config.Load(missing)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), missing)
	var cerr *config.Error
	require.False(t, errors.As(err, &cerr))
}

func TestServer(t *testing.T) {
	t.Parallel()
	cfg, err := config.ParseEnv(yml(with(3, "  default: sqlite:./tenants", "  pg: postgres://h/db", "default_server: pg")...), "", nil)
	require.NoError(t, err)

	tests := []struct {
		name, server, want, err string
	}{
		{name: "default", server: "", want: "pg"},
		{name: "named", server: "default", want: "default"},
		{name: "unknown", server: "mysql", err: `unknown server "mysql" (known: default, pg)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := cfg.Server(tt.server)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, s.Name)
		})
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	cfg, err := config.ParseEnv(yml(valid...), "", nil)
	require.NoError(t, err)
	tests := []struct {
		name, release, want string
		found               bool
	}{
		{name: "as written", release: "v1.0.0", want: "v1.0.0", found: true},
		{name: "without v", release: "1.1.0", want: "v1.1.0", found: true},
		{name: "not declared", release: "v2.0.0"},
		{name: "not a version", release: "latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := cfg.Release(tt.release)
			require.Equal(t, tt.found, ok)
			require.Equal(t, tt.want, r.Name)
		})
	}
}

func TestTenantDatabaseName(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{TenantDatabase: "school_erp_trust_{code}"}
	require.Equal(t, "school_erp_trust_abc123", cfg.TenantDatabaseName("abc123"))
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(config.Template()), filepath.Join(dir, "herd.yaml"))
	require.NoError(t, err)
	require.Equal(t, "sqlite:"+filepath.Join(dir, "herd-data", "control.db"), cfg.Control)
	require.Equal(t, []config.Server{{
		Name: "default", DSN: "sqlite:" + filepath.Join(dir, "herd-data", "tenants"), Tenancy: "database", Line: 21,
	}}, cfg.Servers)
	require.Equal(t, "default", cfg.DefaultServer)
	require.Equal(t, filepath.Join(dir, "migrations"), cfg.Migrations)
	require.Equal(t, "tenant_abc", cfg.TenantDatabaseName("abc"))
	require.False(t, cfg.AllowExperimental)
	require.Empty(t, cfg.Releases)
	require.Equal(t, config.DefaultRollout(), cfg.Rollout)
	require.Empty(t, cfg.Probes)
	require.Empty(t, cfg.Windows)
	require.Empty(t, cfg.Webhooks)
	require.Empty(t, cfg.Flags)
	require.Empty(t, cfg.Environments)
	s, err := cfg.Server("")
	require.NoError(t, err)
	require.Equal(t, "database", s.Tenancy)
}

// TestTemplateExamples uncomments the template's example servers and
// release and checks that they are valid too.
func TestTemplateExamples(t *testing.T) {
	t.Parallel()
	var lines []string
	for _, l := range strings.Split(config.Template(), "\n") {
		for _, p := range []string{"  # pg:", "  # shared:", "  # mysql:", "  # v1.0.0:", "  #   "} {
			if strings.HasPrefix(l, p) {
				l = "  " + strings.TrimPrefix(l, "  # ")
				break
			}
		}
		lines = append(lines, l)
	}
	cfg, err := config.ParseEnv([]byte(strings.Join(lines, "\n")), "herd.yaml",
		map[string]string{"PGPASSWORD": "pw", "MYSQL_PASSWORD": "pw"})
	require.NoError(t, err)
	var names, tenancies []string
	for _, s := range cfg.Servers {
		names = append(names, s.Name)
		tenancies = append(tenancies, s.Tenancy)
	}
	require.Equal(t, []string{"default", "pg", "shared", "mysql"}, names)
	require.Equal(t, []string{"database", "database", "schema", "database"}, tenancies)
	require.Len(t, cfg.Releases, 1)
	require.Equal(t, []string{"basic_erp"}, cfg.Releases[0].Features)
}

// TestTemplateRolloutExample uncomments the template's rollout,
// health_probes, maintenance_windows, webhooks and serve sections and checks that
// they are valid, with the documented defaults.
func TestTemplateRolloutExample(t *testing.T) {
	t.Parallel()
	var lines []string
	block := false
	for _, l := range strings.Split(config.Template(), "\n") {
		switch {
		case l == "# rollout:", l == "# health_probes:", l == "# maintenance_windows:", l == "# webhooks:", l == "# serve:":
			block = true
		case l == "":
			block = false
		}
		if block {
			l = strings.TrimPrefix(l, "# ")
		}
		lines = append(lines, l)
	}
	uncommented := strings.Join(lines, "\n")
	for _, key := range []string{"rollout", "health_probes", "maintenance_windows", "webhooks", "serve"} {
		require.Contains(t, uncommented, "\n"+key+":\n")
	}
	cfg, err := config.ParseEnv([]byte(uncommented), "herd.yaml", map[string]string{"HERD_WEBHOOK_SECRET": "pw"})
	require.NoError(t, err)

	want := config.DefaultRollout()
	want.Waves = cfg.Rollout.Waves
	require.Equal(t, want, cfg.Rollout, "the template shows the defaults")
	var waves []string
	for _, w := range cfg.Rollout.Waves {
		waves = append(waves, w.Name)
	}
	require.Equal(t, []string{"canary", "premium", "quarter", "rest"}, waves)
	require.Equal(t, []string{"demo_trust", "test_trust"}, cfg.Rollout.Waves[0].Tenants)
	require.Equal(t, &config.Budget{Percent: 10}, cfg.Rollout.Waves[2].FailureBudget)
	require.Len(t, cfg.Probes.SQL, 1)
	require.Equal(t, "http://127.0.0.1:8080/health/abc", cfg.Probes.URL("abc"))
	require.NotNil(t, cfg.Windows.Default)
	require.Equal(t, "Asia/Kolkata", cfg.Windows.For("x", "enterprise").Location.String())
	require.Equal(t, "Europe/London", cfg.Windows.For("st_marys", "enterprise").Location.String())
	require.Len(t, cfg.Webhooks, 1)
	require.Equal(t, "pw", cfg.Webhooks[0].Secret)
	require.Equal(t, "https://herd.example.com", cfg.Serve.PublicURL)
}

func FuzzParse(f *testing.F) {
	f.Add(yml(valid...))
	f.Add([]byte(config.Template()))
	f.Add(yml(with(3, "  default: [sqlite:./tenants")...))
	f.Add(yml(with(8, "  v1.1.0: &x {rollback_point: *x}")...))
	f.Add(yml(with(1, "control: pg://u:${PW}@h/db")...))
	f.Add(yml(append(append([]string{}, valid...),
		"rollout: {concurrency: 8, failure_budget: 10%, waves: [{name: a, tenants: [x]}, {name: b, percent: 25}, {name: c}]}",
		"health_probes: {sql: [{name: up, query: SELECT true}], http: 'http://h/{code}'}",
		"maintenance_windows: {default: {days: [sun], hours: '22:00-02:00', time_zone: Europe/London}}",
		"webhooks: [{url: 'https://h/x', secret: '${PW}', events: [tenant.done]}]",
		"flags: {fees: {required_version: 2.0.0, enabled_for: [premium], beta_tenants: [demo], rollout_percentage: 25}}",
		"environments: {dev: {control: 'sqlite:./d.db'}, prod: {control: 'postgres://u:${PW}@h/db', after: dev}}")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		const secret = "s3cr3t-sentinel"
		cfg, err := config.ParseEnv(data, "herd.yaml", map[string]string{"PW": secret})
		if err != nil {
			if !strings.Contains(string(data), secret) {
				require.NotContains(t, err.Error(), secret)
			}
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			require.NotEmpty(t, cerr.Problems)
			require.Nil(t, cfg)
			return
		}
		require.NotNil(t, cfg)
		require.NotEmpty(t, cfg.Servers)
		_, err = cfg.Server("")
		require.NoError(t, err)
	})
}

// lock_timeout and lock_retries have defaults, and the file's values
// replace them; lock_retries may be 0 (never retry).
func TestLockSettings(t *testing.T) {
	t.Parallel()
	base := "control: sqlite:./control.db\nservers: {default: sqlite:./tenants}\ntenant_database: t_{code}\nmigrations: ./migrations\n"
	for _, tc := range []struct {
		name    string
		extra   string
		timeout time.Duration
		retries int
	}{
		{"defaults", "", config.DefaultLockTimeout, config.DefaultLockRetries},
		{"set", "lock_timeout: 250ms\nlock_retries: 7\n", 250 * time.Millisecond, 7},
		{"no retries", "lock_retries: 0\n", config.DefaultLockTimeout, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(base+tc.extra), "herd.yaml")
			require.NoError(t, err)
			require.Equal(t, tc.timeout, cfg.LockTimeout)
			require.Equal(t, tc.retries, cfg.LockRetries)
		})
	}
}

// shadow: reads its three keys, defaults the rest, and names the line of
// a bad value.
func TestShadowSection(t *testing.T) {
	t.Parallel()
	testSection(t, func(c *config.Config) config.Shadow { return c.Shadow }, []sectionCase[config.Shadow]{
		{"absent", nil, config.DefaultShadow(), ""},
		{"set", []string{"shadow: {freeze_timeout: 500ms, freeze_retries: 0, retain: 30d}"},
			config.Shadow{FreezeTimeout: 500 * time.Millisecond, Retain: 30 * 24 * time.Hour}, ""},
		{"bad timeout", []string{"shadow:", "  freeze_timeout: soon"}, config.Shadow{}, `herd.yaml:6: shadow.freeze_timeout: "soon" is not a duration`},
		{"unknown key", []string{"shadow: {freeze: 1s}"}, config.Shadow{}, `herd.yaml:5: shadow: unknown key "freeze"`},
	})
}

// sectionCase is a herd.yaml whose lines follow the required keys (the
// first on line 5), and the value of its section that it reads as, or
// the error it gives.
type sectionCase[T any] struct {
	name  string
	lines []string
	want  T
	err   string
}

// testSection parses each case and checks the value get reads of the
// configuration, or the error.
func testSection[T any](t *testing.T, get func(*config.Config) T, tests []sectionCase[T]) {
	t.Helper()
	base := []string{"control: sqlite:./c.db", "servers: {main: sqlite:./t}", "tenant_database: t_{code}", "migrations: ./m"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse(yml(append(base, tt.lines...)...), "herd.yaml")
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, get(cfg))
		})
	}
}

// A wave's strategy and large_tenants' strategy read in-place or shadow,
// and name the line of anything else.
func TestStrategies(t *testing.T) {
	t.Parallel()
	base := []string{"control: sqlite:./c.db", "servers: {main: sqlite:./t}", "tenant_database: t_{code}", "migrations: ./m"}
	cfg, err := config.Parse(yml(append(base,
		"large_tenants: {rows: 1000000, strategy: shadow}",
		"rollout:",
		"  waves:",
		"    - {name: canary, tenants: [a], strategy: in-place}",
		"    - {name: rest}")...), "herd.yaml")
	require.NoError(t, err)
	require.Equal(t, config.StrategyShadow, cfg.LargeTenants.Strategy)
	require.Equal(t, config.StrategyInPlace, cfg.Rollout.Waves[0].Strategy)
	require.Equal(t, config.Strategy(""), cfg.Rollout.Waves[1].Strategy, "unset: large_tenants decides")

	_, err = config.Parse(yml(append(base, "rollout:", "  waves:", "    - {name: all, strategy: blue-green}")...), "herd.yaml")
	require.ErrorContains(t, err, `herd.yaml:7: rollout.waves.all.strategy: unknown strategy "blue-green" (want in-place or shadow)`)
}

// metrics: reads per_tenant, off by default, and names the line of a bad
// value or key.
func TestMetricsSection(t *testing.T) {
	t.Parallel()
	testSection(t, func(c *config.Config) config.Metrics { return c.Metrics }, []sectionCase[config.Metrics]{
		{"absent", nil, config.Metrics{}, ""},
		{"empty", []string{"metrics:"}, config.Metrics{}, ""},
		{"per tenant", []string{"metrics: {per_tenant: true}"}, config.Metrics{PerTenant: true}, ""},
		{"not a bool", []string{"metrics:", "  per_tenant: yes please"}, config.Metrics{}, `herd.yaml:6: metrics.per_tenant: want true or false, got "yes please"`},
		{"unknown key", []string{"metrics: {tenant_labels: true}"}, config.Metrics{}, `herd.yaml:5: metrics: unknown key "tenant_labels"`},
		{"not a mapping", []string{"metrics: [per_tenant]"}, config.Metrics{}, `herd.yaml:5: metrics: want a mapping with per_tenant, got a list`},
	})
}
