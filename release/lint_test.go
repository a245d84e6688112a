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
			m := release.New(declared(t, tt.releases), nil)
			require.Equal(t, tt.want, problems(release.Lint(m, nil, "herd.yaml")))
		})
	}
}

func TestLintDestructiveStatements(t *testing.T) {
	t.Parallel()
	const inV11 = "tenant/v1.1.0/002_change.up.sql"
	const suffix = " in tenant migration v1.1.0/002_change, but its release v1.1.0 is not marked breaking_changes"
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "drop table",
			files: map[string]string{inV11: "-- herd:kind schema\n\nDROP TABLE u;"},
			want:  []string{inV11 + ":3: DROP TABLE" + suffix},
		},
		{
			name:  "drop table in a breaking release",
			files: map[string]string{"tenant/v2.0.0/002_change.up.sql": "DROP TABLE u;"},
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
			name:  "undeclared release",
			files: map[string]string{"tenant/v1.2.0/002_change.up.sql": "DROP TABLE u;"},
			want: []string{"tenant/v1.2.0/002_change.up.sql:1: DROP TABLE in tenant migration v1.2.0/002_change," +
				" but its release v1.2.0 is not marked breaking_changes" +
				" (declare it under releases: with breaking_changes and a rollback_point)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(lintBase)
			maps.Copy(files, tt.files)
			src := load(t, files)
			m := release.New(declared(t, lintReleases), src)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, problems(release.Lint(m, src, "herd.yaml")))
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
		"tenant/v1.0.0/001_t.up.sql":      "CREATE TABLE t (id INT);",
		"tenant/v2.0.0/002_t.up.sql":      "ALTER TABLE t ADD COLUMN a INT;",
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
			m := release.New(declared(t, tt.releases), src)
			require.Equal(t, []string{"v1.0.0", "v2.0.0"}, names(m.Releases()))
			require.Equal(t, tt.want, problems(release.Lint(m, src, "herd.yaml")))
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
	m := release.New(declared(t, "releases:\n  v1.0.0:\n  v1.1.0:\n  v2.0.0: {breaking_changes: true}\n"), src)
	require.Equal(t, []string{
		"deploy/herd.yaml:8: releases.v2.0.0: breaking_changes without a rollback_point: name the release tenants go back to",
		"tenant/v1.1.0/002_t.up.sql:1: DROP COLUMN in tenant migration v1.1.0/002_t, but its release v1.1.0 is not marked breaking_changes",
	}, problems(release.Lint(m, src, "deploy/herd.yaml")))
}
