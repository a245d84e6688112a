package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

func TestEnvironmentTenantHomes(t *testing.T) {
	t.Parallel()
	cfg, err := config.ParseEnv(yml(plus(
		"environments:", // 9
		"  staging:",
		"    control: sqlite:./staging.db",
		"    tenant_database: staging_{code}",
		"  production:",
		"    control: postgres://herd:secret@127.0.0.1:5432/herd_prod",
		"    servers:",
		"      east: postgres://herd:secret@10.0.0.1:5432/postgres",
		"      west: {dsn: 'postgres://herd:secret@10.0.0.2:5432/erp', tenancy: schema}",
		"    default_server: west",
	)...), "herd.yaml", nil)
	require.NoError(t, err)

	staging, err := cfg.InEnvironment("staging")
	require.NoError(t, err)
	require.Equal(t, "staging_t1", staging.TenantDatabaseName("t1"))
	require.Equal(t, cfg.Servers, staging.Servers, "servers are inherited")

	prod, err := cfg.InEnvironment("production")
	require.NoError(t, err)
	require.Equal(t, "t_t1", prod.TenantDatabaseName("t1"), "tenant_database is inherited")
	require.Len(t, prod.Servers, 2)
	require.Equal(t, "west", prod.DefaultServer)
	s, err := prod.Server("")
	require.NoError(t, err)
	require.Equal(t, "schema", s.Tenancy)
	require.Equal(t, "default", cfg.DefaultServer, "the receiver is unchanged")

	require.Empty(t, cfg.SharedTenantHomes(), "each environment has tenants of its own")
}

func TestEnvironmentTenantHomeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"default_server without servers", []string{"environments:", "  staging:", "    control: sqlite:./s.db", "    default_server: a"},
			"herd.yaml:12: environments.staging.default_server: needs servers beside it"},
		{"unknown default_server", []string{"environments:", "  staging:", "    control: sqlite:./s.db", "    servers: {a: 'sqlite:./a'}", "    default_server: b"},
			"herd.yaml:13: environments.staging.default_server: unknown server \"b\" (known: a)"},
		{"several servers, no default", []string{"environments:", "  staging:", "    control: sqlite:./s.db", "    servers: {a: 'sqlite:./a', b: 'sqlite:./b'}"},
			"herd.yaml:12: environments.staging.default_server is required when there are several servers (a, b)"},
		{"bad template", []string{"environments:", "  staging:", "    control: sqlite:./s.db", "    tenant_database: staging"},
			"herd.yaml:12: environments.staging.tenant_database: \"staging\" must contain {code} exactly once, not 0 times"},
		{"bad server name", []string{"environments:", "  staging:", "    control: sqlite:./s.db", "    servers: {A: 'sqlite:./a'}"},
			"herd.yaml:12: environments.staging.servers: server name \"A\": use only a-z, 0-9, _ and -"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.ParseEnv(yml(plus(tt.lines...)...), "herd.yaml", nil)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSharedTenantHomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"an environment inheriting servers and tenant_database", []string{"environments:", "  staging: {control: 'sqlite:./s.db'}"},
			[]string{"the top level and environment staging name the same tenant databases (t_{code} on sqlite:tenants)"}},
		{"two environments on one postgres server, by other users and admin databases",
			[]string{"environments:",
				"  staging: {control: 'sqlite:./s.db', servers: {a: 'postgres://stage:pw1@db:5432/postgres'}}",
				"  production: {control: 'sqlite:./p.db', servers: {b: 'postgres://prod:pw2@db:5432/template1'}}"},
			[]string{"environment staging and environment production name the same tenant databases (t_{code} on postgres://db:5432)"}},
		{"schema tenancy in other databases", []string{"environments:",
			"  staging: {control: 'sqlite:./s.db', servers: {a: {dsn: 'postgres://db:5432/erp_stage', tenancy: schema}}}",
			"  production: {control: 'sqlite:./p.db', servers: {a: {dsn: 'postgres://db:5432/erp', tenancy: schema}}}"}, nil},
		{"another template", []string{"environments:", "  staging: {control: 'sqlite:./s.db', tenant_database: 's_{code}'}"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(plus(tt.lines...)...), "herd.yaml", nil)
			require.NoError(t, err)
			got := cfg.SharedTenantHomes()
			require.Len(t, got, len(tt.want), "%q", got)
			for i := range tt.want {
				require.Contains(t, got[i], tt.want[i])
				require.NotContains(t, got[i], "pw", "no password in a warning")
			}
		})
	}
}
