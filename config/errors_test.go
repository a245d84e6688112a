package config_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// valid is a valid file that error cases change one line of; the lines
// are numbered in comments.
var valid = []string{
	"control: sqlite:./control.db",       // 1
	"servers:",                           // 2
	"  default: sqlite:./tenants",        // 3
	"tenant_database: t_{code}",          // 4
	"migrations: ./migrations",           // 5
	"releases:",                          // 6
	"  v1.0.0: {features: [a, b]}",       // 7
	"  v1.1.0: {rollback_point: v1.0.0}", // 8
}

// with returns valid with line n (1-based) replaced by repl; repl may be
// several lines, and an empty repl drops the line.
func with(n int, repl ...string) []string {
	out := append([]string{}, valid[:n-1]...)
	out = append(out, repl...)
	return append(out, valid[n:]...)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		env   map[string]string
		want  string // the whole error, "file:line: msg" per problem
	}{
		{
			name:  "lock_timeout without a unit",
			lines: append(with(8, valid[7]), "lock_timeout: 5"),
			want:  `herd.yaml:9: lock_timeout: "5" is not a duration (want a number and a unit: 30s, 5m, 1h30m)`,
		},
		{
			name:  "lock_timeout of zero",
			lines: append(with(8, valid[7]), "lock_timeout: 0s"),
			want:  "herd.yaml:9: lock_timeout: must be at least 1ms, got 0s",
		},
		{
			name:  "negative lock_retries",
			lines: append(with(8, valid[7]), "lock_retries: -1"),
			want:  "herd.yaml:9: lock_retries: must be at least 0, got -1",
		},
		{
			name:  "unclosed flow sequence", // reported at its opening bracket
			lines: with(3, "  default: [sqlite:./tenants", "  pg: postgres://h/db"),
			want:  "herd.yaml:3: invalid YAML: did not find expected ',' or ']'",
		},
		{
			name:  "syntax error on the first line",
			lines: with(1, "control: a: b"),
			want:  "herd.yaml:1: invalid YAML: mapping values are not allowed in this context",
		},
		{
			name:  "syntax error from bad indentation",
			lines: with(4, " tenant_database: t_{code}"),
			want:  "herd.yaml:4: invalid YAML: did not find expected key",
		},
		{
			name:  "list item then a key",
			lines: with(7, "  v1.0.0:", "    - a", "    features: [b]"),
			want:  "herd.yaml:9: invalid YAML: did not find expected '-' indicator",
		},
		{
			name:  "unknown anchor",
			lines: with(7, "  v1.0.0: {features: *common}"),
			want:  "herd.yaml:7: invalid YAML: unknown anchor 'common' referenced",
		},
		{
			name:  "unterminated quote",
			lines: with(4, `tenant_database: "t_{code}`),
			want:  "herd.yaml:4: invalid YAML: found unexpected end of stream",
		},
		{
			name:  "top level is a list",
			lines: []string{"- control"},
			want:  "herd.yaml:1: want a mapping of keys (control, servers, …), got a list",
		},
		{
			name:  "unknown top-level key",
			lines: with(5, "migrations: ./migrations", "contrl: x"),
			want: "herd.yaml:6: unknown key \"contrl\" (known: control, servers, default_server, " +
				"tenant_database, migrations, allow_experimental, releases, lock_timeout, lock_retries, rollout, large_tenants, shadow, health_probes, " +
				"maintenance_windows, webhooks, flags, environments, customisations, on_conflict, drift_fresh, serve, metrics)",
		},
		{
			name:  "unknown server key",
			lines: with(3, "  default: {dsn: 'sqlite:./tenants', tenncy: database}"),
			want:  "herd.yaml:3: servers.default: unknown key \"tenncy\" (known: dsn, tenancy, throttle)",
		},
		{
			name:  "unknown release key",
			lines: with(7, "  v1.0.0:", "    feature: [a, b]"),
			want: "herd.yaml:8: releases.v1.0.0: unknown key \"feature\" (known: system, tenant, features, " +
				"removes, breaking_changes, rollback_point, experimental)",
		},
		{
			name:  "duplicate key",
			lines: with(5, "migrations: ./migrations", "control: sqlite:./other.db"),
			want:  "herd.yaml:6: duplicate key \"control\" (first at line 1)",
		},
		{
			name:  "bad dsn scheme",
			lines: with(3, "  default: sqlite:./tenants", "  pg: postgresql://h:5432/db"),
			want: "herd.yaml:2: default_server is required when there are several servers (default, pg)\n" +
				"herd.yaml:4: servers.pg: dsn must start with sqlite:, postgres:// or mysql://",
		},
		{
			name:  "bad control scheme",
			lines: with(1, "control: ./control.db"),
			want:  "herd.yaml:1: control: dsn must start with sqlite:, postgres:// or mysql://",
		},
		{
			name:  "empty sqlite path",
			lines: with(1, "control: 'sqlite:'"),
			want:  "herd.yaml:1: control: sqlite dsn needs a path, as in sqlite:./herd-data/control.db",
		},
		{
			name:  "dsn that is not a url",
			lines: with(3, "  default: postgres://u@h:port/db"),
			want:  "herd.yaml:3: servers.default: dsn is not a valid URL (percent-encode special characters in the user name and password)",
		},
		{
			name:  "server that is a list",
			lines: with(3, "  default: [a]"),
			want:  "herd.yaml:3: servers.default: want a DSN or a mapping with dsn, tenancy and throttle, got a list",
		},
		{
			name:  "server mapping without dsn",
			lines: with(3, "  default: {tenancy: database}"),
			want:  "herd.yaml:3: servers.default: dsn is required",
		},
		{
			name:  "throttle without query",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle: {max: 5}"),
			want:  "herd.yaml:5: servers.default.throttle: query is required: a SQL query returning one number, as in SELECT lag_seconds FROM replica_status",
		},
		{
			name:  "throttle with an empty query",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle:", "      query: ' '", "      max: 5"),
			want:  "herd.yaml:6: servers.default.throttle.query: must not be empty",
		},
		{
			name:  "throttle max not a number",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle:", "      query: SELECT 1", "      max: lots"),
			want:  "herd.yaml:7: servers.default.throttle.max: want a number such as 5 or 2.5, got \"lots\"",
		},
		{
			name:  "throttle interval zero",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle: {query: SELECT 1, max: 5, interval: 0s}"),
			want:  "herd.yaml:5: servers.default.throttle.interval: must be at least 1ms, got 0s",
		},
		{
			name:  "throttle not a mapping",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle: SELECT 1"),
			want:  "herd.yaml:5: servers.default.throttle: want a mapping with query, max and interval, got a string",
		},
		{
			name:  "throttle unknown key",
			lines: with(3, "  default:", "    dsn: sqlite:./tenants", "    throttle: {query: SELECT 1, max: 5, max_lag: 3}"),
			want:  "herd.yaml:5: servers.default.throttle: unknown key \"max_lag\" (known: query, max, interval)",
		},
		{
			name:  "bad server name",
			lines: with(3, "  Main: sqlite:./tenants"),
			want:  "herd.yaml:3: servers: server name \"Main\": use only a-z, 0-9, _ and -",
		},
		{
			name:  "servers not a mapping",
			lines: with(3, "  - sqlite:./tenants"),
			want:  "herd.yaml:3: servers: want a mapping of server names to DSNs, got a list",
		},
		{
			name:  "no servers",
			lines: with(3, "  {}"),
			want:  "herd.yaml:2: servers: at least one server is required",
		},
		{
			name:  "unknown default_server",
			lines: with(3, "  default: sqlite:./tenants", "  pg: postgres://h/db", "default_server: main"),
			want:  "herd.yaml:5: default_server: unknown server \"main\" (known: default, pg)",
		},
		{
			name:  "several servers without default",
			lines: with(3, "  a: sqlite:./a", "  b: sqlite:./b", "  c: postgres://h/db"),
			want:  "herd.yaml:2: default_server is required when there are several servers (a, b, c)",
		},
		{
			name:  "template without code",
			lines: with(4, "tenant_database: tenant_db"),
			want:  "herd.yaml:4: tenant_database: \"tenant_db\" must contain {code} exactly once, not 0 times",
		},
		{
			name:  "template with code twice",
			lines: with(4, "tenant_database: t_{code}_{code}"),
			want:  "herd.yaml:4: tenant_database: \"t_{code}_{code}\" must contain {code} exactly once, not 2 times",
		},
		{
			name:  "template with bad characters",
			lines: with(4, "tenant_database: School-{code}"),
			want:  "herd.yaml:4: tenant_database: \"School-{code}\": use only a-z, 0-9 and _ besides {code}",
		},
		{
			name:  "template with a misspelt placeholder",
			lines: with(4, "tenant_database: t_{cod}"),
			want: "herd.yaml:4: tenant_database: \"t_{cod}\" must contain {code} exactly once, not 0 times\n" +
				"herd.yaml:4: tenant_database: \"t_{cod}\": use only a-z, 0-9 and _ besides {code}",
		},
		{
			name:  "bad release version",
			lines: with(8, "  v1.1: {rollback_point: v1.0.0}"),
			want:  "herd.yaml:8: releases: \"v1.1\" is not a semantic version (want v1.2.3 or 1.2.3)",
		},
		{
			name:  "bad schema version",
			lines: with(8, "  v1.1.0:", "    tenant: latest"),
			want:  "herd.yaml:9: releases.v1.1.0: tenant \"latest\" is not a semantic version (want 1.2.3)",
		},
		{
			name:  "rollback_point not declared",
			lines: with(8, "  v1.1.0: {rollback_point: v0.9.0}"),
			want:  "herd.yaml:8: releases.v1.1.0: rollback_point \"v0.9.0\" is not a declared release (lower releases: v1.0.0)",
		},
		{
			name:  "rollback_point not a version",
			lines: with(8, "  v1.1.0: {rollback_point: previous}"),
			want:  "herd.yaml:8: releases.v1.1.0: rollback_point \"previous\" is not a declared release (lower releases: v1.0.0)",
		},
		{
			name:  "rollback_point higher",
			lines: with(7, "  v1.0.0: {features: [a], rollback_point: 1.1.0}"),
			want:  "herd.yaml:7: releases.v1.0.0: rollback_point 1.1.0 must be a release lower than v1.0.0",
		},
		{
			name:  "rollback_point itself",
			lines: with(8, "  v1.1.0:", "    rollback_point: v1.1.0"),
			want:  "herd.yaml:9: releases.v1.1.0: rollback_point v1.1.0 must be a release lower than v1.1.0",
		},
		{
			name:  "duplicate release version",
			lines: with(8, "  1.0.0: {}"),
			want:  "herd.yaml:8: releases.1.0.0: same version as release v1.0.0 (line 7)",
		},
		{
			name:  "unset env var",
			lines: with(3, "  default: sqlite:./tenants", "  pg: postgres://u:${PG_PASS}@h/${PG_DB}", "default_server: pg"),
			env:   map[string]string{"PG_DB": "fleet"},
			want:  "herd.yaml:4: servers.pg: environment variable PG_PASS is not set",
		},
		{
			name:  "unset env var in control",
			lines: with(1, "control: ${HERD_CONTROL}"),
			want:  "herd.yaml:1: control: environment variable HERD_CONTROL is not set",
		},
		{
			name:  "unterminated env var",
			lines: with(1, "control: postgres://u:${PW@h/db"),
			want:  "herd.yaml:1: control: unterminated ${: write an environment variable as ${NAME}",
		},
		{
			name:  "schema tenancy on mysql",
			lines: with(3, "  default:", "    dsn: mysql://root@h:3306/x", "    tenancy: schema"),
			want:  "herd.yaml:5: servers.default: tenancy schema needs a postgres:// dsn, not mysql",
		},
		{
			name:  "schema tenancy on sqlite",
			lines: with(3, "  default: {dsn: 'sqlite:./tenants', tenancy: schema}"),
			want:  "herd.yaml:3: servers.default: tenancy schema needs a postgres:// dsn, not sqlite",
		},
		{
			name:  "unknown tenancy",
			lines: with(3, "  default: {dsn: 'postgres://h/db', tenancy: table}"),
			want:  "herd.yaml:3: servers.default: tenancy must be database or schema, got \"table\"",
		},
		{
			name:  "bad boolean",
			lines: with(5, "migrations: ./migrations", "allow_experimental: yes"),
			want:  "herd.yaml:6: allow_experimental: want true or false, got \"yes\"",
		},
		{
			name:  "features not a list",
			lines: with(7, "  v1.0.0: {features: a}"),
			want:  "herd.yaml:7: releases.v1.0.0.features: want a list such as [a, b], got a string",
		},
		{
			name:  "removes a feature no earlier release has",
			lines: with(8, "  v1.1.0: {removes: [c]}"),
			want:  "herd.yaml:8: releases.v1.1.0: removes \"c\", which no earlier release has",
		},
		{
			name:  "lower tenant schema than an earlier release",
			lines: with(8, "  v1.1.0: {tenant: 0.9.0}"),
			want:  "herd.yaml:8: releases.v1.1.0: tenant schema 0.9.0 is lower than 1.0.0 of the earlier release v1.0.0",
		},
		{
			name:  "two documents",
			lines: append(append([]string{}, valid...), "---", "control: x"),
			want:  "herd.yaml:9: only one YAML document is allowed",
		},
		{
			name:  "missing required keys",
			lines: []string{"# nothing yet"},
			want: "herd.yaml: control is required: the DSN of the control database, as in sqlite:./herd-data/control.db\n" +
				"herd.yaml: servers is required: at least one named server that holds tenant databases\n" +
				"herd.yaml: tenant_database is required: the name template of a tenant's database, as in tenant_{code}\n" +
				"herd.yaml: migrations is required: the migrations folder, as in ./migrations",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(tt.lines...), "", tt.env)
			require.Error(t, err)
			require.Nil(t, cfg)
			require.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			require.NotEmpty(t, cerr.Problems)
			for _, p := range cerr.Problems {
				require.Equal(t, "herd.yaml", p.File)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()
	data := yml(
		"control: ${NO_SUCH_VAR}",                    // 1
		"servers:",                                   // 2
		"  pg: postgre://h/db",                       // 3
		"  m: {dsn: 'mysql://h/x', tenancy: schema}", // 4
		"default_server: nope",                       // 5
		"tenant_database: Tenant",                    // 6
		"migrations: ./migrations",                   // 7
		"colour: blue",                               // 8
		"releases:",                                  // 9
		"  v2: {}",                                   // 10
	)
	_, err := config.ParseEnv(data, "conf/herd.yaml", nil)
	var cerr *config.Error
	require.ErrorAs(t, err, &cerr)
	require.Equal(t, []config.Problem{
		{File: "conf/herd.yaml", Line: 1, Msg: "control: environment variable NO_SUCH_VAR is not set"},
		{File: "conf/herd.yaml", Line: 3, Msg: "servers.pg: dsn must start with sqlite:, postgres:// or mysql://"},
		{File: "conf/herd.yaml", Line: 4, Msg: "servers.m: tenancy schema needs a postgres:// dsn, not mysql"},
		{File: "conf/herd.yaml", Line: 5, Msg: "default_server: unknown server \"nope\" (known: pg, m)"},
		{File: "conf/herd.yaml", Line: 6, Msg: "tenant_database: \"Tenant\" must contain {code} exactly once, not 0 times"},
		{File: "conf/herd.yaml", Line: 6, Msg: "tenant_database: \"Tenant\": use only a-z, 0-9 and _ besides {code}"},
		{File: "conf/herd.yaml", Line: 8, Msg: "unknown key \"colour\" (known: control, servers, default_server, " +
			"tenant_database, migrations, allow_experimental, releases, lock_timeout, lock_retries, rollout, large_tenants, shadow, health_probes, " +
			"maintenance_windows, webhooks, flags, environments, customisations, on_conflict, drift_fresh, serve, metrics)"},
		{File: "conf/herd.yaml", Line: 10, Msg: "releases: \"v2\" is not a semantic version (want v1.2.3 or 1.2.3)"},
	}, cerr.Problems)
	require.Equal(t, 8, strings.Count(err.Error(), "\n")+1)
	require.True(t, strings.HasPrefix(err.Error(), "conf/herd.yaml:1: control: environment variable NO_SUCH_VAR is not set\n"))
}

func TestPasswordsNeverInErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-sentinel"
	env := map[string]string{"PW": secret, "URL": "pstgres://u:" + secret + "@h/db"}
	tests := []struct {
		name  string
		lines []string
	}{
		{"bad scheme", with(1, "control: postgre://u:"+secret+"@h/db")},
		{"invalid url with a slash in the password", with(1, "control: postgres://u:"+secret+"/x@h/db")},
		{"invalid url with a bad escape in the password", with(1, "control: postgres://u:%zz"+secret+"@h/db")},
		{"bad scheme from the environment", with(1, "control: ${URL}")},
		{"env var expanded into a bad dsn", with(1, "control: pg://u:${PW}@h/db")},
		{"password holding a malformed variable", with(1, "control: postgres://u:${"+secret+"}@h/db")},
		{"schema tenancy on mysql", with(3, "  default: {dsn: 'mysql://u:"+secret+"@h/x', tenancy: schema}")},
		{"password in the query", with(1, "control: pgsql://h/db?password="+secret)},
		{"dsn used as a server name", with(3, "  postgres://u:"+secret+"@h/db: sqlite:./x")},
		{"dsn used as a key", with(5, "migrations: ./m", "mysql://u:"+secret+"@h/x: 1")},
		{"dsn where a list belongs", with(7, "  v1.0.0: {features: 'postgres://u:"+secret+"@h/db'}")},
		{"dsn as a tenancy", with(3, "  default: {dsn: 'sqlite:./x', tenancy: 'postgres://u:"+secret+"@h/db'}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.ParseEnv(yml(tt.lines...), "", env)
			require.Error(t, err)
			require.NotContains(t, err.Error(), secret)
			require.NotContains(t, err.Error(), "3cr3t")
		})
	}
}
