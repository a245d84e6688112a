package release_test

import (
	"fmt"
	"maps"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/release"
)

func TestLintEscapes(t *testing.T) {
	t.Parallel()
	const up = "tenant/v1.1.0/002_change.up.sql"
	const schemaServer = `control: sqlite:./control.db
servers: {shared: {dsn: "postgres://postgres@127.0.0.1:5432/fleet", tenancy: schema}}
tenant_database: trust_{code}
migrations: ./migrations
`
	// rule is a finding without the rule's reason, as brief below makes it.
	rule := func(file string, line int, what, rule string) string {
		return fmt.Sprintf("%s:%d: %s in tenant migration v1.1.0/002_change [%s]", file, line, what, rule)
	}
	tests := []struct {
		name    string
		files   map[string]string
		engines []string // every engine when empty
		config  string   // herd.yaml without releases; configHead when empty
		want    []string
	}{
		{
			name:    "mysql sample header",
			engines: []string{"mysql"},
			files:   map[string]string{up: "DROP SCHEMA IF EXISTS sakila;\nCREATE SCHEMA sakila;\nuse  sakila;\nCREATE TABLE actor (id INT);"},
			want: []string{
				rule(up, 1, "DROP SCHEMA", "drop-database"),
				rule(up, 2, "CREATE SCHEMA", "create-database"),
				rule(up, 3, "USE", "switch-database"),
			},
		},
		{
			name:    "create and drop database",
			engines: []string{"mysql"},
			files:   map[string]string{up: "create database if not exists other;\nDrop Database other;"},
			want: []string{
				rule(up, 1, "CREATE DATABASE", "create-database"),
				rule(up, 2, "DROP DATABASE", "drop-database"),
			},
		},
		{
			name:    "postgres search_path in every spelling",
			engines: []string{"postgres"},
			files: map[string]string{up: "SET search_path = public, pg_catalog;\nset\n  LOCAL Search_Path TO other;\n" +
				"SET SESSION search_path TO DEFAULT;\nSET SCHEMA 'other';\n" +
				"SELECT pg_catalog.set_config('search_path', '', false);\nSELECT set_config ( 'SEARCH_PATH' , 'x', true);"},
			want: []string{
				rule(up, 1, "SET search_path", "switch-database"),
				rule(up, 2, "SET search_path", "switch-database"),
				rule(up, 4, "SET search_path", "switch-database"),
				rule(up, 5, "SET schema", "switch-database"),
				rule(up, 6, "set_config('search_path', …)", "switch-database"),
				rule(up, 7, "set_config('search_path', …)", "switch-database"),
			},
		},
		{
			name:    "sqlite attach",
			files:   map[string]string{up: "ATTACH DATABASE 'other.db' AS other;\nCREATE TABLE other.t (id INT);\nDETACH other;"},
			engines: []string{"sqlite"},
			want: []string{
				rule(up, 1, "ATTACH", "attach-database"),
				rule(up, 3, "DETACH", "attach-database"),
			},
		},
		{
			name:    "down and validate files and overrides too",
			engines: []string{"postgres", "mysql"},
			files: map[string]string{
				up:                                      "SELECT 1;",
				"tenant/v1.1.0/002_change.mysql.up.sql": "USE other;",
				"tenant/v1.1.0/002_change.down.sql":     "SELECT 1;\nCREATE SCHEMA other;",
				"tenant/v1.1.0/002_change.validate.sql": "SELECT set_config('search_path', 'x', false) IS NOT NULL;",
			},
			want: []string{
				rule("tenant/v1.1.0/002_change.mysql.up.sql", 1, "USE", "switch-database"),
				rule("tenant/v1.1.0/002_change.down.sql", 2, "CREATE SCHEMA", "create-database"),
				rule("tenant/v1.1.0/002_change.validate.sql", 1, "set_config('search_path', …)", "switch-database"),
			},
		},
		{
			name:    "allowed by the file",
			engines: []string{"mysql", "postgres"},
			files: map[string]string{up: "-- herd:kind schema\n-- herd:allow switch-database  create-database\n" +
				"CREATE SCHEMA audit;\nUSE audit;\nSET search_path = audit;\nDROP SCHEMA audit;"},
			want: []string{rule(up, 6, "DROP SCHEMA", "drop-database")},
		},
		{
			name:    "an allow in the up file does not cover the down file",
			engines: []string{"mysql"},
			files: map[string]string{
				up:                                  "-- herd:allow switch-database\nUSE other;",
				"tenant/v1.1.0/002_change.down.sql": "USE other;",
			},
			want: []string{rule("tenant/v1.1.0/002_change.down.sql", 1, "USE", "switch-database")},
		},
		{
			name:    "words in bodies, literals, identifiers and comments",
			engines: []string{"mysql", "postgres"},
			files: map[string]string{
				up: "-- USE other;\nSELECT 'USE other; SET search_path = x';\nCREATE TABLE `use` (`schema` INT);\n" +
					"ALTER TABLE t SET SCHEMA other;\nCREATE INDEX t_schema ON t (a);",
				"tenant/v1.1.0/002_change.postgres.up.sql": "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql\n" +
					"SET search_path = pg_catalog AS $$ BEGIN PERFORM 1; END $$;\n" +
					"DO $$ BEGIN CREATE SCHEMA x; END $$;",
				"tenant/v1.1.0/002_change.mysql.up.sql": "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  DROP DATABASE IF EXISTS x;\nEND //\nDELIMITER ;",
			},
		},
		{
			name:    "system migrations may",
			engines: []string{"mysql"},
			files:   map[string]string{"system/v1.1.0/002_change.up.sql": "CREATE DATABASE archive;"},
		},
		{
			name:    "public-qualified create on a schema-per-tenant server",
			engines: []string{"postgres"},
			config:  schemaServer,
			files: map[string]string{up: "CREATE TABLE public.audit (id INT);\nCREATE TABLE audit2 (id INT REFERENCES public.t);\n" +
				"CREATE OR REPLACE VIEW \"public\".v AS SELECT * FROM t;\nCREATE INDEX i ON public.t (a);\n" +
				"CREATE VIEW w AS SELECT * FROM public.t;\nINSERT INTO public.t VALUES (1);"},
			want: []string{
				rule(up, 1, "CREATE of an object in schema public", "outside-schema"),
				rule(up, 3, "CREATE of an object in schema public", "outside-schema"),
				rule(up, 4, "CREATE of an object in schema public", "outside-schema"),
			},
		},
		{
			name:    "public-qualified create on a database-per-tenant server",
			engines: []string{"postgres"},
			files:   map[string]string{up: "CREATE TABLE public.audit (id INT);"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(lintBase)
			maps.Copy(files, tt.files)
			src := load(t, files, tt.engines...)
			head := tt.config
			if head == "" {
				head = configHead
			}
			cfg, err := config.Parse([]byte(head+lintReleases), "herd.yaml")
			require.NoError(t, err)
			got := []string{}
			for _, p := range problems(release.Lint(release.New(cfg.Releases, src), src, cfg).Errors) {
				got = append(got, brief(t, p))
			}
			want := tt.want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, got)
		})
	}
}

// finding is an escape finding: where, what, why and the rule that allows it.
var finding = regexp.MustCompile(`^(.* in tenant migration v[^ ]+): .+; write -- herd:allow ([a-z-]+) at the top of the file if it is meant$`)

// brief returns an escape finding without its reason, with its rule in
// brackets; other findings as they are.
func brief(t *testing.T, p string) string {
	t.Helper()
	m := finding.FindStringSubmatch(p)
	if m == nil {
		return p
	}
	return m[1] + " [" + m[2] + "]"
}
