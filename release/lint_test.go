package release_test

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// lintReleases declares v1.0.0 (line 6), v1.1.0 (line 7, not breaking) and
// v2.0.0 (line 8, breaking, with a rollback point).
const lintReleases = `releases:
  v1.0.0: {features: [basic]}
  v1.1.0: {features: [custom_fields]}
  v2.0.0: {breaking_changes: true, rollback_point: v1.1.0}
`

// lintBase is the v1.0.0 schema every lint case builds on.
var lintBase = map[string]string{
	"tenant/v1.0.0/001_create.up.sql":   "CREATE TABLE t (id INT, a INT, b INT);\nCREATE TABLE u (id INT);",
	"tenant/v1.0.0/001_create.down.sql": "DROP TABLE u;\nDROP TABLE t;",
	"system/v1.0.0/001_trusts.up.sql":   "CREATE TABLE trusts (id INT, name TEXT);",
}

func problems(ps []source.Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestLintBreakingWithoutRollbackPoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		releases string
		want     []string
	}{
		{
			name:     "breaking without rollback point",
			releases: "releases:\n  v1.0.0:\n  v2.0.0: {breaking_changes: true}\n",
			want:     []string{"herd.yaml:7: releases.v2.0.0: breaking_changes without a rollback_point: name the release tenants go back to"},
		},
		{
			name:     "breaking with rollback point",
			releases: "releases:\n  v1.0.0:\n  v2.0.0: {breaking_changes: true, rollback_point: v1.0.0}\n",
			want:     []string{},
		},
		{
			name:     "not breaking, no rollback point",
			releases: "releases:\n  v1.0.0:\n  v2.0.0: {features: [x]}\n",
			want:     []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, tt.releases, "herd.yaml")
			m := release.New(cfg.Releases, nil)
			require.Equal(t, tt.want, problems(release.Lint(m, nil, cfg).Errors))
		})
	}
}

// mysqlProcedure is a MySQL procedure whose body drops a table, under
// DELIMITER, as mysqldump writes it; its last line is 8.
const mysqlProcedure = `DELIMITER //
CREATE PROCEDURE rewards_report()
BEGIN
  CREATE TEMPORARY TABLE tmpCustomer (customer_id INT PRIMARY KEY);
  INSERT INTO tmpCustomer SELECT id FROM t;
  DROP TABLE tmpCustomer;
END //
DELIMITER ;
`

func TestLintDestructiveStatements(t *testing.T) {
	t.Parallel()
	const inV11 = "tenant/v1.1.0/002_change.up.sql"
	const suffix = " in tenant migration v1.1.0/002_change, but its release v1.1.0 is not marked breaking_changes"
	tests := []struct {
		name    string
		files   map[string]string
		engines []string // every engine when empty
		want    []string
	}{
		{
			name:  "drop table",
			files: map[string]string{inV11: "-- herd:kind schema\n\nDROP TABLE u;"},
			want:  []string{inV11 + ":3: DROP TABLE" + suffix},
		},
		{
			name: "drop table in a breaking release",
			files: map[string]string{
				"tenant/v2.0.0/002_change.up.sql":   "DROP TABLE u;",
				"tenant/v2.0.0/002_change.down.sql": "CREATE TABLE u (id INT);",
			},
		},
		{
			name:  "drop temporary table if exists is still a drop",
			files: map[string]string{inV11: "CREATE TEMPORARY TABLE tmp (id INT);\nDROP TEMPORARY TABLE IF EXISTS tmp;"},
			want:  []string{inV11 + ":2: DROP TABLE" + suffix},
		},
		{
			name:  "lower case over several lines",
			files: map[string]string{inV11: "select 1;\n\nalter\n  table t\n  drop column a;"},
			want:  []string{inV11 + ":3: DROP COLUMN" + suffix},
		},
		{
			name:  "drop without COLUMN",
			files: map[string]string{inV11: "ALTER TABLE t DROP a;"},
			want:  []string{inV11 + ":1: DROP COLUMN" + suffix},
		},
		{
			name:  "drop column among other actions",
			files: map[string]string{inV11: "ALTER TABLE `t` ADD COLUMN c INT, DROP COLUMN IF EXISTS a, DROP b;"},
			want:  []string{inV11 + ":1: DROP COLUMN" + suffix},
		},
		{
			name: "drops that lose no data",
			files: map[string]string{inV11: `DROP INDEX IF EXISTS t_a;
DROP VIEW v;
DROP TRIGGER IF EXISTS t_ai;
ALTER TABLE t DROP CONSTRAINT t_a_check;
ALTER TABLE t DROP PRIMARY KEY, DROP FOREIGN KEY fk, DROP INDEX i, DROP KEY k;
ALTER TABLE t ALTER COLUMN a DROP DEFAULT, ALTER COLUMN b DROP NOT NULL;
ALTER TABLE t RENAME INDEX i TO j;`},
		},
		{
			name:  "rename table",
			files: map[string]string{inV11: "ALTER TABLE u RENAME TO users;"},
			want:  []string{inV11 + ":1: RENAME TABLE" + suffix},
		},
		{
			name:  "rename column",
			files: map[string]string{inV11: "ALTER TABLE t RENAME COLUMN a TO alpha;"},
			want:  []string{inV11 + ":1: RENAME COLUMN" + suffix},
		},
		{
			name:  "rename column without COLUMN",
			files: map[string]string{inV11: "ALTER TABLE ONLY public.t RENAME a TO alpha;"},
			want:  []string{inV11 + ":1: RENAME COLUMN" + suffix},
		},
		{
			name: "words in literals, identifiers and comments",
			files: map[string]string{inV11: `-- DROP TABLE t;
/* ALTER TABLE t DROP COLUMN a; */
INSERT INTO t (id) VALUES (1); -- drop table u
INSERT INTO u (id) SELECT length('drop table x; alter table t drop column a');
ALTER TABLE t ADD COLUMN "drop" INT, ADD CONSTRAINT c CHECK (b IN (1, 2));
UPDATE t SET a = 2 WHERE id IN (SELECT id FROM u);`},
		},
		{
			name: "statement in an engine override file",
			files: map[string]string{
				inV11:                                   "ALTER TABLE t ADD COLUMN c INT;",
				"tenant/v1.1.0/002_change.mysql.up.sql": "ALTER TABLE t ADD COLUMN c INT;\nRENAME TABLE u TO users;",
			},
			want: []string{"tenant/v1.1.0/002_change.mysql.up.sql:2: RENAME TABLE" + suffix},
		},
		{
			name: "postgres bodies and mysql escapes",
			files: map[string]string{
				inV11: "ALTER TABLE t ADD COLUMN c INT;",
				"tenant/v1.1.0/002_change.postgres.up.sql": "ALTER TABLE t ADD COLUMN c INT;\n" +
					"CREATE FUNCTION f() RETURNS void AS $body$ BEGIN DROP TABLE u; END $body$ LANGUAGE plpgsql;\n" +
					"INSERT INTO u (id) SELECT length(E'it\\'s; DROP TABLE u');\n" +
					"ALTER TABLE u RENAME TO users;",
				"tenant/v1.1.0/002_change.mysql.up.sql": "ALTER TABLE t ADD COLUMN c INT;\n" +
					"INSERT INTO u (id) SELECT length('it\\'s; DROP TABLE u');\n" +
					"ALTER TABLE u RENAME users;",
			},
			// Only the last statement of each override renames.
			want: []string{
				"tenant/v1.1.0/002_change.mysql.up.sql:3: RENAME TABLE" + suffix,
				"tenant/v1.1.0/002_change.postgres.up.sql:4: RENAME TABLE" + suffix,
			},
		},
		{
			name: "down scripts are not checked",
			files: map[string]string{
				inV11:                               "ALTER TABLE t ADD COLUMN c INT;",
				"tenant/v1.1.0/002_change.down.sql": "ALTER TABLE t DROP COLUMN c;",
			},
		},
		{
			name:  "system migration",
			files: map[string]string{"system/v1.1.0/002_change.up.sql": "ALTER TABLE trusts RENAME COLUMN name TO title;"},
			want: []string{"system/v1.1.0/002_change.up.sql:1: RENAME COLUMN in system migration v1.1.0/002_change," +
				" but its release v1.1.0 is not marked breaking_changes"},
		},
		{
			name: "undeclared release",
			files: map[string]string{
				"tenant/v1.2.0/002_change.up.sql":   "DROP TABLE u;",
				"tenant/v1.2.0/002_change.down.sql": "CREATE TABLE u (id INT);",
			},
			want: []string{"tenant/v1.2.0/002_change.up.sql:1: DROP TABLE in tenant migration v1.2.0/002_change," +
				" but its release v1.2.0 is not marked breaking_changes" +
				" (declare it under releases: with breaking_changes and a rollback_point)"},
		},
		{
			name:    "statements of a mysql procedure body in a plain file of a mysql fleet",
			engines: []string{"mysql"},
			files:   map[string]string{inV11: mysqlProcedure + "DROP TABLE u;\n"},
			want:    []string{inV11 + ":9: DROP TABLE" + suffix},
		},
		{
			name:  "statements of a mysql procedure body in a mysql override",
			files: map[string]string{inV11: "SELECT 1;", "tenant/v1.1.0/002_change.mysql.up.sql": mysqlProcedure},
		},
		{
			name:    "statements of a postgres function body",
			engines: []string{"postgres"},
			files: map[string]string{inV11: "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n" +
				"  DROP TABLE u;\n  ALTER TABLE t RENAME COLUMN a TO b;\n  RETURN NEW;\nEND $$;\n" +
				"CREATE PROCEDURE p() BEGIN ATOMIC\n  DELETE FROM u;\nEND;"},
		},
		{
			name:    "statements of a sqlite trigger body",
			engines: []string{"sqlite"},
			files: map[string]string{inV11: "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN\n" +
				"  DELETE FROM u;\n  UPDATE t SET a = 1;\nEND;\nDROP TABLE u;"},
			want: []string{inV11 + ":5: DROP TABLE" + suffix},
		},
		{
			name:    "a plain file is read only by the engines that run it",
			engines: []string{"postgres", "mysql"},
			files: map[string]string{
				inV11: mysqlProcedure,
				"tenant/v1.1.0/002_change.postgres.up.sql": "SELECT 1;",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(lintBase)
			maps.Copy(files, tt.files)
			src := load(t, files, tt.engines...)
			cfg := parse(t, lintReleases, "herd.yaml")
			m := release.New(cfg.Releases, src)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, problems(release.Lint(m, src, cfg).Errors))
		})
	}
}

// A system migration belongs to the release whose system schema covers it,
// whatever the tenant schema of that release.
func TestLintSystemMigrationOwner(t *testing.T) {
	t.Parallel()
	src := load(t, map[string]string{
		"system/v1.0.0/001_trusts.up.sql": "CREATE TABLE trusts (id INT);",
		"system/v1.5.0/002_drop.up.sql":   "DROP TABLE trusts;",
		"system/v1.5.0/002_drop.down.sql": "CREATE TABLE trusts (id INT);",
		"tenant/v1.0.0/001_t.up.sql":      "CREATE TABLE t (id INT);",
		"tenant/v2.0.0/002_t.up.sql":      "ALTER TABLE t ADD COLUMN a INT;",
		"tenant/v2.0.0/002_t.down.sql":    "ALTER TABLE t DROP COLUMN a;",
	})
	tests := []struct {
		name, releases string
		want           []string
	}{
		{
			name:     "breaking release owns the system version",
			releases: "releases:\n  v1.0.0:\n  v2.0.0: {system: 1.5.0, breaking_changes: true, rollback_point: v1.0.0}\n",
			want:     []string{},
		},
		{
			name:     "non-breaking release owns it",
			releases: "releases:\n  v1.0.0:\n  v2.0.0: {system: 1.5.0}\n",
			want: []string{"system/v1.5.0/002_drop.up.sql:1: DROP TABLE in system migration v1.5.0/002_drop," +
				" but its release v2.0.0 is not marked breaking_changes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, tt.releases, "herd.yaml")
			m := release.New(cfg.Releases, src)
			require.Equal(t, []string{"v1.0.0", "v2.0.0"}, names(m.Releases()))
			require.Equal(t, tt.want, problems(release.Lint(m, src, cfg).Errors))
		})
	}
}

// Both rules at once, config problems first.
func TestLintBoth(t *testing.T) {
	t.Parallel()
	src := load(t, map[string]string{
		"tenant/v1.0.0/001_t.up.sql": "CREATE TABLE t (id INT, a INT);",
		"tenant/v1.1.0/002_t.up.sql": "ALTER TABLE t DROP COLUMN a;",
		"tenant/v2.0.0/003_t.up.sql": "DROP TABLE t;",
	})
	cfg := parse(t, "releases:\n  v1.0.0:\n  v1.1.0:\n  v2.0.0: {breaking_changes: true}\n", "deploy/herd.yaml")
	m := release.New(cfg.Releases, src)
	require.Equal(t, []string{
		"deploy/herd.yaml:8: releases.v2.0.0: breaking_changes without a rollback_point: name the release tenants go back to",
		"tenant/v1.1.0/002_t.up.sql:1: DROP COLUMN in tenant migration v1.1.0/002_t, but its release v1.1.0 is not marked breaking_changes",
	}, problems(release.Lint(m, src, cfg).Errors))
}

// findings renders what Lint found, warnings marked as such.
func findings(f release.Findings) []string {
	out := problems(f.Errors)
	for _, w := range f.Warnings {
		out = append(out, "warning: "+w.String())
	}
	return out
}

func TestLintDownFiles(t *testing.T) {
	t.Parallel()
	// v1.1.0 and v2.1.0 are compatible; v2.0.0 goes back to v1.1.0 and
	// v3.0.0 to v2.0.0.
	const releases = `releases:
  v1.0.0: {system: 1.0.0}
  v1.1.0: {system: 1.0.0}
  v2.0.0: {system: 1.1.0, breaking_changes: true, rollback_point: v1.1.0}
  v2.1.0: {system: 1.1.0}
  v3.0.0: {system: 1.1.0, breaking_changes: true, rollback_point: v2.0.0}
`
	base := map[string]string{
		"system/v1.0.0/001_s.up.sql":   "CREATE TABLE s (id INT);",
		"system/v1.1.0/002_s.up.sql":   "ALTER TABLE s ADD COLUMN a INT;",
		"system/v1.1.0/002_s.down.sql": "ALTER TABLE s DROP COLUMN a;",
		"tenant/v1.0.0/001_t.up.sql":   "CREATE TABLE t (id INT);",
		"tenant/v1.0.0/001_t.down.sql": "DROP TABLE t;",
		"tenant/v1.0.0/002_u.up.sql":   "CREATE TABLE u (id INT);",
		"tenant/v1.0.0/002_u.down.sql": "DROP TABLE u;",
	}
	const goesBack = "going back to it runs this migration's down; "
	tests := []struct {
		name  string
		files map[string]string // "" removes a file of base
		want  []string
	}{
		{
			name: "every down present",
			files: map[string]string{
				"tenant/v2.0.0/003_a.up.sql": "ALTER TABLE t ADD COLUMN a INT;", "tenant/v2.0.0/003_a.down.sql": "SELECT 1;",
			},
		},
		{
			name:  "first release: nothing goes back to before it, but its folder has downs",
			files: map[string]string{"tenant/v1.0.0/001_t.down.sql": ""},
			want: []string{"warning: tenant/v1.0.0/001_t.up.sql:1: tenant migration v1.0.0/001_t has no down file: " +
				"1 of the 2 migrations in tenant/v1.0.0 have one; add 001_t.down.sql beside it"},
		},
		{
			name:  "first release, forward only throughout",
			files: map[string]string{"tenant/v1.0.0/001_t.down.sql": "", "tenant/v1.0.0/002_u.down.sql": ""},
		},
		{
			name:  "compatible release: tenants may be rolled back from it",
			files: map[string]string{"tenant/v1.1.0/003_a.up.sql": "ALTER TABLE t ADD COLUMN a INT;"},
			want: []string{"warning: tenant/v1.1.0/003_a.up.sql:1: tenant migration v1.1.0/003_a has no down file: " +
				"its release v1.1.0 is not breaking, so tenants may be rolled back from it to v1.0.0, " +
				"which plan and migrate refuse without the down; add 003_a.down.sql beside it, or mark v1.1.0 breaking_changes"},
		},
		{
			name:  "release with a rollback point",
			files: map[string]string{"tenant/v2.0.0/003_a.up.sql": "ALTER TABLE t ADD COLUMN a INT;"},
			want: []string{"tenant/v2.0.0/003_a.up.sql:1: tenant migration v2.0.0/003_a has no down file: " +
				"release v2.0.0 names v1.1.0 as its rollback_point, and " + goesBack + "add 003_a.down.sql beside it"},
		},
		{
			name:  "a rollback point reaches back through a compatible release",
			files: map[string]string{"tenant/v2.1.0/003_a.up.sql": "ALTER TABLE t ADD COLUMN a INT;"},
			want: []string{"tenant/v2.1.0/003_a.up.sql:1: tenant migration v2.1.0/003_a has no down file: " +
				"release v3.0.0 names v2.0.0 as its rollback_point, and " + goesBack + "add 003_a.down.sql beside it"},
		},
		{
			name: "down file for one engine only",
			files: map[string]string{
				"tenant/v2.0.0/003_a.up.sql":         "ALTER TABLE t ADD COLUMN a INT;",
				"tenant/v2.0.0/003_a.mysql.down.sql": "ALTER TABLE t DROP COLUMN a;",
			},
			want: []string{"tenant/v2.0.0/003_a.up.sql:1: tenant migration v2.0.0/003_a has no down file for sqlite, postgres: " +
				"release v2.0.0 names v1.1.0 as its rollback_point, and " + goesBack + "add 003_a.down.sql beside it"},
		},
		{
			name: "down file for one engine only, in the first release",
			files: map[string]string{
				"tenant/v1.0.0/001_t.down.sql":       "",
				"tenant/v1.0.0/002_u.down.sql":       "",
				"tenant/v1.0.0/002_u.mysql.down.sql": "DROP TABLE u;",
			},
			want: []string{"warning: tenant/v1.0.0/002_u.up.sql:1: tenant migration v1.0.0/002_u has no down file for sqlite, postgres: " +
				"its other engines have one; add 002_u.down.sql beside it"},
		},
		{
			name:  "system migration in a rollback point's span",
			files: map[string]string{"system/v1.1.0/002_s.down.sql": ""},
			want: []string{"system/v1.1.0/002_s.up.sql:1: system migration v1.1.0/002_s has no down file: " +
				"release v2.0.0 names v1.1.0 as its rollback_point, and " + goesBack + "add 002_s.down.sql beside it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(base)
			for p, body := range tt.files {
				if body == "" {
					delete(files, p)
				} else {
					files[p] = body
				}
			}
			src := load(t, files)
			cfg := parse(t, releases, "herd.yaml")
			want := tt.want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, findings(release.Lint(release.New(cfg.Releases, src), src, cfg)))
		})
	}
}

func TestLintSystemAndFlags(t *testing.T) {
	t.Parallel()
	// System schemas v1.0.0 and v1.2.0; tenant schemas v1.0.0, v1.1.0 and
	// v2.0.0; every migration has its down file.
	src := load(t, map[string]string{
		"system/v1.0.0/001_s.up.sql": "CREATE TABLE s (id INT);", "system/v1.0.0/001_s.down.sql": "DROP TABLE s;",
		"system/v1.2.0/002_s.up.sql": "CREATE TABLE s2 (id INT);", "system/v1.2.0/002_s.down.sql": "DROP TABLE s2;",
		"tenant/v1.0.0/001_t.up.sql": "CREATE TABLE t (id INT);", "tenant/v1.0.0/001_t.down.sql": "DROP TABLE t;",
		"tenant/v1.1.0/002_t.up.sql": "CREATE TABLE t2 (id INT);", "tenant/v1.1.0/002_t.down.sql": "DROP TABLE t2;",
		"tenant/v2.0.0/003_t.up.sql": "CREATE TABLE t3 (id INT);", "tenant/v2.0.0/003_t.down.sql": "DROP TABLE t3;",
	})
	tests := []struct {
		name, config string
		want         []string
	}{
		{
			name:   "system: omitted where the release's own system schema exists",
			config: "releases:\n  v1.0.0: {features: [a]}\n",
			want:   []string{},
		},
		{
			name:   "system: omitted, a lower system schema serves",
			config: "releases:\n  v1.0.0:\n  v1.1.0: {features: [a]}\n",
			want: []string{"warning: herd.yaml:7: releases.v1.1.0: system: omitted, and there is no system schema v1.1.0: " +
				"the release goes with v1.0.0, the highest at or below it; write system: 1.0.0 to say so"},
		},
		{
			name:   "system: omitted, no system schema at or below",
			config: "releases:\n  v0.9.0:\n  v1.0.0:\n",
			want: []string{"warning: herd.yaml:6: releases.v0.9.0: system: omitted, and no system schema version is at or below 0.9.0 " +
				"(the first is v1.0.0): the release leaves the system database as it is; write system: to say which it needs"},
		},
		{
			name:   "system: declared and present",
			config: "releases:\n  v1.0.0:\n  v1.1.0: {system: 1.0.0}\n",
			want:   []string{},
		},
		{
			name:   "system: declared and absent",
			config: "releases:\n  v1.0.0:\n  v1.1.0: {system: 1.1.0}\n",
			want: []string{"herd.yaml:7: releases.v1.1.0: system: 1.1.0 is not a system schema version (system schemas: v1.0.0, v1.2.0): " +
				"migrate --all --to v1.1.0 and rollout start --to v1.1.0 would refuse it"},
		},
		{
			name:   "flag reached by a release",
			config: "flags:\n  f: {required_version: 1.1.0}\n",
			want:   []string{},
		},
		{
			name:   "flag above every release",
			config: "flags:\n  f: {required_version: 2.1.0}\n",
			want: []string{"warning: herd.yaml:6: flags.f: required_version 2.1.0 is above every release's tenant schema " +
				"(the highest is v2.0.0, of release v2.0.0): the flag is off for every tenant"},
		},
		{
			name:   "a pre-release does not reach its release",
			config: "releases:\n  v2.0.0-dev: {system: 1.2.0, tenant: 2.0.0}\nflags:\n  f: {required_version: 2.0.0}\n",
			want:   []string{},
		},
		{
			name:   "a release's tenant schema, not its name, is what a flag reaches",
			config: "releases:\n  v3.0.0: {system: 1.2.0, tenant: 2.0.0}\nflags:\n  f: {required_version: 3.0.0}\n",
			want: []string{"warning: herd.yaml:8: flags.f: required_version 3.0.0 is above every release's tenant schema " +
				"(the highest is v2.0.0, of release v3.0.0): the flag is off for every tenant"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, tt.config, "herd.yaml")
			require.Equal(t, tt.want, findings(release.Lint(release.New(cfg.Releases, src), src, cfg)))
		})
	}
}

// SystemSchema is the one rule for the system schema a target name
// brings the system database to.
func TestSystemSchema(t *testing.T) {
	t.Parallel()
	m := release.New(declared(t, `releases:
  v1.0.0:
  v1.1.0: {features: [a]}
  v2.0.0: {system: 1.5.0, tenant: 1.9.0}
  v3.0.0: {system: 9.0.0}
`), folders(t, []string{"v1.0.0", "v1.5.0", "v3.0.0"}, []string{"v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0", "v1.9.0", "v3.0.0"}))
	tests := []struct {
		name, to, want, err string
	}{
		{name: "latest", to: "", want: "3.0.0"},
		{name: "release whose own system schema exists", to: "v1.0.0", want: "1.0.0"},
		{name: "release that omits system:", to: "v1.1.0", want: "1.0.0"},
		{name: "written without the v", to: "1.1.0", want: "1.0.0"},
		{name: "undeclared tenant folder", to: "v1.2.0", want: "1.0.0"},
		{name: "declared system:", to: "v2.0.0", want: "1.5.0"},
		{name: "a release's tenant schema, not a release", to: "v1.9.0", want: "1.5.0"},
		{name: "a system schema, not a release", to: "v1.5.0", want: "1.5.0"},
		{name: "nothing at or below", to: "v0.9.0", want: ""},
		{name: "declared system: that does not exist", to: "v3.0.0",
			err: "release v3.0.0: system schema 9.0.0 does not exist (system schemas: v1.0.0, v1.5.0, v3.0.0)"},
		{name: "unknown", to: "v7.0.0",
			err: "v7.0.0 is neither a release nor a schema version (releases: v0.9.0, v1.0.0, v1.1.0, v1.2.0, v2.0.0, v3.0.0)"},
		{name: "not a version", to: "latest", err: `target version: "latest" is not a semantic version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := m.SystemSchema(tt.to)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			got := ""
			if v != nil {
				got = v.String()
			}
			require.Equal(t, tt.want, got)
		})
	}
}
