package config_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
)

// flag is a Flag with its required version as a string, for comparison.
type flag struct {
	Name, RequiredVersion   string
	EnabledFor, BetaTenants []string
	RolloutPercentage       float64
	Description             string
	Line                    int
}

func flagsOf(fs []config.Flag) []flag {
	out := make([]flag, len(fs))
	for i, f := range fs {
		out[i] = flag{
			Name: f.Name, RequiredVersion: f.RequiredVersion.String(),
			EnabledFor: f.EnabledFor, BetaTenants: f.BetaTenants,
			RolloutPercentage: f.RolloutPercentage, Description: f.Description, Line: f.Line,
		}
	}
	return out
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	data := yml(plus(
		"flags:", // 9
		"  enhanced_fee_system:",
		"    required_version: 2.0.0",
		"    enabled_for: [premium, enterprise]",
		"    beta_tenants: [demo_trust, test_trust]",
		"    rollout_percentage: 25", // 14
		`    description: "Late fees and instalments"`,
		"  advanced_reporting:",
		"    required_version: v2.1.0",
		"    enabled_for: [enterprise]",
		"  new-ui.v2:", // 19
		"    required_version: 2.1.0-dev",
		"    enabled_for: []",
		"    beta_tenants: null",
		"    rollout_percentage: 100%",
		"  everyone:", // 24
		"    required_version: 1.0.0",
		"    rollout_percentage: 100",
	)...)
	cfg, err := config.ParseEnv(data, "", nil)
	require.NoError(t, err)
	require.Equal(t, []flag{
		{Name: "advanced_reporting", RequiredVersion: "2.1.0", EnabledFor: []string{"enterprise"}, Line: 16},
		{Name: "enhanced_fee_system", RequiredVersion: "2.0.0",
			EnabledFor: []string{"premium", "enterprise"}, BetaTenants: []string{"demo_trust", "test_trust"},
			RolloutPercentage: 25, Description: "Late fees and instalments", Line: 10},
		{Name: "everyone", RequiredVersion: "1.0.0", RolloutPercentage: 100, Line: 24},
		{Name: "new-ui.v2", RequiredVersion: "2.1.0-dev", RolloutPercentage: 100, Line: 19},
	}, flagsOf(cfg.Flags), "sorted by name, defaults filled in")

	f, ok := cfg.Flag("new-ui.v2")
	require.True(t, ok)
	require.True(t, f.RequiredVersion.LessThan(cfg.Flags[0].RequiredVersion), "2.1.0-dev < 2.1.0")
	_, ok = cfg.Flag("missing")
	require.False(t, ok)
	require.Empty(t, cfg.Environments)
}

func TestParseEnvironments(t *testing.T) {
	t.Parallel()
	data := yml(plus(
		"environments:", // 9
		"  development:",
		"    control: sqlite:./dev/control.db",
		"    allow_experimental: true",
		"  staging:",
		"    control: postgres://herd:${PGPASSWORD}@127.0.0.1:5432/herd_staging", // 14
		"    after: development",
		"  production:",
		"    control: postgres://herd:${PGPASSWORD}@127.0.0.1:5432/herd_prod",
		"    allow_experimental: false",
		"    after: staging", // 19
		"  qa: {control: 'sqlite:/srv/qa.db', after: development}",
	)...)
	path := filepath.Join("deploy", "herd.yaml")
	cfg, err := config.ParseEnv(data, path, map[string]string{"PGPASSWORD": "p@ss"})
	require.NoError(t, err)
	require.Equal(t, []config.Environment{
		{Name: "development", Control: "sqlite:" + filepath.Join("deploy", "dev", "control.db"), AllowExperimental: true, Line: 10},
		{Name: "staging", Control: "postgres://herd:p@ss@127.0.0.1:5432/herd_staging", After: "development", Line: 13},
		{Name: "production", Control: "postgres://herd:p@ss@127.0.0.1:5432/herd_prod", After: "staging", Line: 16},
		{Name: "qa", Control: "sqlite:/srv/qa.db", After: "development", Line: 20},
	}, cfg.Environments, "file order, DSNs expanded and resolved")
	require.Equal(t, "sqlite:"+filepath.Join("deploy", "control.db"), cfg.Control, "the top-level control is unchanged")

	e, ok := cfg.Environment("staging")
	require.True(t, ok)
	require.Equal(t, "development", e.After)
	_, ok = cfg.Environment("")
	require.False(t, ok)
	_, ok = cfg.Environment("prod")
	require.False(t, ok)

	dev, err := cfg.InEnvironment("development")
	require.NoError(t, err)
	require.Equal(t, "sqlite:"+filepath.Join("deploy", "dev", "control.db"), dev.Control)
	require.True(t, dev.AllowExperimental)
	require.Equal(t, "development", dev.Env)
	prod, err := cfg.InEnvironment("production")
	require.NoError(t, err)
	require.False(t, prod.AllowExperimental)
	require.Equal(t, "production", prod.Env)
	require.Equal(t, cfg.Environments, prod.Environments, "a view still knows every environment")
	require.Empty(t, cfg.Env, "the receiver is unchanged")

	_, err = cfg.InEnvironment("prod")
	require.EqualError(t, err, "--env prod: "+path+" declares no such environment (declared: development, staging, production, qa)")
	bare, err := config.ParseEnv(yml(valid...), "herd.yaml", nil)
	require.NoError(t, err)
	_, err = bare.InEnvironment("staging")
	require.EqualError(t, err, "--env staging: herd.yaml declares no environments")
}

func TestParseFlagAndEnvironmentErrors(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PGPASSWORD": "pw"}
	tests := []struct {
		name  string
		lines []string
		want  string // the whole error
	}{
		// flags
		{"flags not a mapping", plus("flags: [fees]"),
			"herd.yaml:9: flags: want a mapping of flag names to flags, got a list"},
		{"bad flag name", plus("flags:", "  Fees: {required_version: 1.0.0}"),
			"herd.yaml:10: flags: flag name \"Fees\": use only a-z, 0-9, _, . and -"},
		{"flag name with a space", plus("flags:", "  'late fees': {required_version: 1.0.0}"),
			"herd.yaml:10: flags: flag name \"late fees\": use only a-z, 0-9, _, . and -"},
		{"herd's own flag name", plus("flags:", "  herd.read_only: {required_version: 1.0.0}"),
			"herd.yaml:10: flags: flag name \"herd.read_only\": names that start with \"herd.\" are herd's own flags (herd serve answers herd.read_only)"},
		{"duplicate flag", plus("flags:", "  fees: {required_version: 1.0.0}", "  fees: {required_version: 2.0.0}"),
			"herd.yaml:11: flags: duplicate key \"fees\" (first at line 10)"},
		{"flag without anything", plus("flags:", "  fees:"),
			"herd.yaml:10: flags.fees: required_version is required: the lowest tenant schema version that has the feature, as in 2.0.0"},
		{"flag without required_version", plus("flags:", "  fees:", "    rollout_percentage: 10"),
			"herd.yaml:10: flags.fees: required_version is required: the lowest tenant schema version that has the feature, as in 2.0.0"},
		{"flag not a mapping", plus("flags:", "  fees: 2.0.0"),
			"herd.yaml:10: flags.fees: want a mapping with required_version, enabled_for, beta_tenants and rollout_percentage, got a string"},
		{"unknown flag key", plus("flags:", "  fees:", "    required_version: 1.0.0", "    percentage: 10"),
			"herd.yaml:12: flags.fees: unknown key \"percentage\" (known: required_version, enabled_for, " +
				"beta_tenants, rollout_percentage, description)"},
		{"required_version not semver", plus("flags:", "  fees:", "    required_version: 2.0"),
			"herd.yaml:11: flags.fees: required_version \"2.0\" is not a semantic version (want 2.0.0 or v2.0.0)"},
		{"required_version a word", plus("flags:", "  fees: {required_version: latest}"),
			"herd.yaml:10: flags.fees: required_version \"latest\" is not a semantic version (want 2.0.0 or v2.0.0)"},
		{"required_version empty", plus("flags:", "  fees: {required_version: ''}"),
			"herd.yaml:10: flags.fees: required_version \"\" is not a semantic version (want 2.0.0 or v2.0.0)"},
		{"required_version a list", plus("flags:", "  fees: {required_version: [1.0.0]}"),
			"herd.yaml:10: flags.fees.required_version: want a string, got a list"},
		{"enabled_for not a list", plus("flags:", "  fees: {required_version: 1.0.0, enabled_for: premium}"),
			"herd.yaml:10: flags.fees.enabled_for: want a list such as [a, b], got a string"},
		{"duplicate tier", plus("flags:", "  fees:", "    required_version: 1.0.0", "    enabled_for: [premium, premium]"),
			"herd.yaml:12: flags.fees.enabled_for: duplicate tier \"premium\""},
		{"empty tier", plus("flags:", "  fees:", "    required_version: 1.0.0", "    enabled_for: [premium, '']"),
			"herd.yaml:12: flags.fees.enabled_for: want a tier, got a string"},
		{"bad beta tenant code", plus("flags:", "  fees:", "    required_version: 1.0.0", "    beta_tenants: [demo_trust, Test-Trust]"),
			"herd.yaml:12: flags.fees.beta_tenants: tenant code \"Test-Trust\": use lower-case letters, digits and underscores only, starting with a letter or digit"},
		{"beta tenant code starting with _", plus("flags:", "  fees:", "    required_version: 1.0.0", "    beta_tenants: [_demo]"),
			"herd.yaml:12: flags.fees.beta_tenants: tenant code \"_demo\": use lower-case letters, digits and underscores only, starting with a letter or digit"},
		{"beta tenant code too long", plus("flags:", "  fees:", "    required_version: 1.0.0", "    beta_tenants: ["+strings.Repeat("a", 49)+"]"),
			"herd.yaml:12: flags.fees.beta_tenants: tenant code \"" + strings.Repeat("a", 49) + "\" is 49 characters; the limit is 48"},
		{"duplicate beta tenant", plus("flags:", "  fees:", "    required_version: 1.0.0", "    beta_tenants:", "      - demo_trust", "      - demo_trust"),
			"herd.yaml:14: flags.fees.beta_tenants: duplicate tenant code \"demo_trust\""},
		{"percentage over 100", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: 101"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got \"101\""},
		{"negative percentage", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: -5"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got \"-5\""},
		{"fractional percentage", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: 25.5"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number, got \"25.5\": tenants fall in buckets of 1%, " +
				"so a fraction would act as the whole number below it"},
		{"percentage in words", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: half"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got \"half\""},
		{"percentage not a number", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: .nan"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got \".nan\""},
		{"percentage as a list", plus("flags:", "  fees:", "    required_version: 1.0.0", "    rollout_percentage: [25]"),
			"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got a list"},
		{"description as a list", plus("flags:", "  fees:", "    required_version: 1.0.0", "    description: [a]"),
			"herd.yaml:12: flags.fees.description: want a string, got a list"},
		{"several problems in one flag", plus("flags:", "  fees:", "    required_version: x", "    rollout_percentage: 200", "    beta_tenants: [A]"),
			"herd.yaml:11: flags.fees: required_version \"x\" is not a semantic version (want 2.0.0 or v2.0.0)\n" +
				"herd.yaml:12: flags.fees.rollout_percentage: want a whole number from 0 to 100, such as 25, got \"200\"\n" +
				"herd.yaml:13: flags.fees.beta_tenants: tenant code \"A\": use lower-case letters, digits and underscores only, starting with a letter or digit"},

		// environments
		{"environments not a mapping", plus("environments: [staging]"),
			"herd.yaml:9: environments: want a mapping of environment names to environments, got a list"},
		{"bad environment name", plus("environments:", "  Staging: {control: 'sqlite:./s.db'}"),
			"herd.yaml:10: environments: environment name \"Staging\": use only a-z, 0-9, _ and -"},
		{"duplicate environment", plus("environments:", "  staging: {control: 'sqlite:./a.db'}", "  staging: {control: 'sqlite:./b.db'}"),
			"herd.yaml:11: environments: duplicate key \"staging\" (first at line 10)"},
		{"environment without anything", plus("environments:", "  staging:"),
			"herd.yaml:10: environments.staging: control is required: the DSN of the environment's control database, " +
				"as in sqlite:./herd-data/staging.db"},
		{"environment without control", plus("environments:", "  staging:", "    allow_experimental: false"),
			"herd.yaml:10: environments.staging: control is required: the DSN of the environment's control database, " +
				"as in sqlite:./herd-data/staging.db"},
		{"environment a string", plus("environments:", "  staging: postgres://h/db"),
			"herd.yaml:10: environments.staging: want a mapping with control, allow_experimental, after, servers, default_server and tenant_database, got a string"},
		{"unknown environment key", plus("environments:", "  staging:", "    control: sqlite:./s.db", "    versions: [2.0.0]"),
			"herd.yaml:12: environments.staging: unknown key \"versions\" (known: control, allow_experimental, after, servers, default_server, tenant_database)"},
		{"bad control scheme", plus("environments:", "  staging:", "    control: postgresql://h/db"),
			"herd.yaml:11: environments.staging.control: dsn must start with sqlite:, postgres:// or mysql://"},
		{"empty control", plus("environments:", "  staging: {control: ''}"),
			"herd.yaml:10: environments.staging.control: dsn must not be empty"},
		{"empty sqlite path", plus("environments:", "  staging: {control: 'sqlite:'}"),
			"herd.yaml:10: environments.staging.control: sqlite dsn needs a path, as in sqlite:./herd-data/control.db"},
		{"control not a url", plus("environments:", "  staging: {control: 'postgres://u@h:port/db'}"),
			"herd.yaml:10: environments.staging.control: dsn is not a valid URL (percent-encode special characters in the user name and password)"},
		{"unset variable in control", plus("environments:", "  staging:", "    control: postgres://herd:${STAGING_PW}@h/db"),
			"herd.yaml:11: environments.staging.control: environment variable STAGING_PW is not set"},
		{"unterminated variable in control", plus("environments:", "  staging:", "    control: postgres://herd:${PGPASSWORD@h/db"),
			"herd.yaml:11: environments.staging.control: unterminated ${: write an environment variable as ${NAME}"},
		{"control a list", plus("environments:", "  staging: {control: [a]}"),
			"herd.yaml:10: environments.staging.control: want a string, got a list"},
		{"bad allow_experimental", plus("environments:", "  staging: {control: 'sqlite:./s.db', allow_experimental: maybe}"),
			"herd.yaml:10: environments.staging.allow_experimental: want true or false, got \"maybe\""},
		{"after unknown", plus("environments:", "  staging: {control: 'sqlite:./s.db'}", "  production:", "    control: sqlite:./p.db", "    after: stageing"),
			"herd.yaml:13: environments.production: after: unknown environment \"stageing\" (known: staging, production)"},
		{"after itself", plus("environments:", "  staging:", "    control: sqlite:./s.db", "    after: staging"),
			"herd.yaml:12: environments.staging: after must name another environment, not staging itself"},
		{"after a list", plus("environments:", "  staging: {control: 'sqlite:./s.db', after: [development]}"),
			"herd.yaml:10: environments.staging.after: want a string, got a list"},
		{"two-environment cycle", plus("environments:",
			"  staging: {control: 'sqlite:./s.db', after: production}",
			"  production: {control: 'sqlite:./p.db', after: staging}"),
			"herd.yaml:10: environments.staging: after forms a cycle: staging → production → staging"},
		{"three-environment cycle with a tail", plus("environments:",
			"  development: {control: 'sqlite:./d.db', after: qa}", // 10: leads into the cycle, not part of it
			"  staging: {control: 'sqlite:./s.db', after: production}",
			"  production: {control: 'sqlite:./p.db', after: qa}",
			"  qa: {control: 'sqlite:./q.db', after: staging}"),
			"herd.yaml:11: environments.staging: after forms a cycle: staging → production → qa → staging"},
		{"two cycles", plus("environments:",
			"  a: {control: 'sqlite:./a.db', after: b}",
			"  c: {control: 'sqlite:./c.db', after: d}",
			"  b: {control: 'sqlite:./b.db', after: a}",
			"  d: {control: 'sqlite:./d.db', after: c}"),
			"herd.yaml:10: environments.a: after forms a cycle: a → b → a\n" +
				"herd.yaml:11: environments.c: after forms a cycle: c → d → c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.ParseEnv(yml(tt.lines...), "", env)
			require.Error(t, err)
			require.Nil(t, cfg)
			require.Equal(t, tt.want, err.Error())
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			for _, p := range cerr.Problems {
				require.Equal(t, "herd.yaml", p.File)
				require.Positive(t, p.Line)
			}
		})
	}
}

// TestEnvironmentPasswordsNeverInErrors checks that an environment's
// control DSN is treated like the top-level one: its password never shows.
func TestEnvironmentPasswordsNeverInErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-sentinel"
	env := map[string]string{"PW": secret}
	for _, line := range []string{
		"  staging: {control: 'postgre://u:" + secret + "@h/db'}",
		"  staging: {control: 'postgres://u:" + secret + "/x@h/db'}",
		"  staging: {control: 'pg://u:${PW}@h/db'}",
		"  staging: {control: 'postgres://u:${PW}@h/db', after: 'postgres://u:" + secret + "@h/db'}",
		"  staging: {control: 'postgres://u:${PW}@h/db', allow_experimental: 'postgres://u:" + secret + "@h/db'}",
	} {
		_, err := config.ParseEnv(yml(plus("environments:", line)...), "", env)
		require.Error(t, err, line)
		require.NotContains(t, err.Error(), "3cr3t", line)
	}
}

// TestTemplateFlagsAndEnvironments uncomments the template's flags and
// environments sections and checks that they are valid and say what the
// issue's example says.
func TestTemplateFlagsAndEnvironments(t *testing.T) {
	t.Parallel()
	var lines []string
	block := false
	for _, l := range strings.Split(config.Template(), "\n") {
		switch {
		case l == "# flags:", l == "# environments:":
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
	require.Contains(t, uncommented, "\nflags:\n")
	require.Contains(t, uncommented, "\nenvironments:\n")
	dir := t.TempDir()
	cfg, err := config.ParseEnv([]byte(uncommented), filepath.Join(dir, "herd.yaml"), map[string]string{"PGPASSWORD": "pw"})
	require.NoError(t, err)

	require.Equal(t, []flag{
		{Name: "advanced_reporting", RequiredVersion: "2.1.0", EnabledFor: []string{"enterprise"}, Line: cfg.Flags[0].Line},
		{Name: "enhanced_fee_system", RequiredVersion: "2.0.0",
			EnabledFor: []string{"premium", "enterprise"}, BetaTenants: []string{"demo_trust", "test_trust"},
			RolloutPercentage: 25, Description: "Late fees and instalments", Line: cfg.Flags[1].Line},
	}, flagsOf(cfg.Flags))

	var names, afters []string
	for _, e := range cfg.Environments {
		names = append(names, e.Name)
		afters = append(afters, e.After)
	}
	require.Equal(t, []string{"development", "staging", "production"}, names)
	require.Equal(t, []string{"", "development", "staging"}, afters)
	dev, _ := cfg.Environment("development")
	require.True(t, dev.AllowExperimental)
	require.Equal(t, "sqlite:"+filepath.Join(dir, "herd-data", "development.db"), dev.Control)
	prod, _ := cfg.Environment("production")
	require.False(t, prod.AllowExperimental)
	require.Equal(t, "postgres://herd:pw@127.0.0.1:5432/herd_prod", prod.Control)
}
