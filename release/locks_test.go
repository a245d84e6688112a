package release_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/source"
)

// The lock rules, each firing and not, on the engines that have them.
func TestLintLocks(t *testing.T) {
	t.Parallel()
	const up = "tenant/v1.1.0/002_change.up.sql"
	tests := []struct {
		name    string
		engines []string // every engine when empty
		files   map[string]string
		want    []string // FILE:LINE: rule
	}{
		{
			name:    "postgres index without concurrently",
			engines: []string{"postgres"},
			files: map[string]string{up: "CREATE INDEX i ON t (a);\nCREATE UNIQUE INDEX IF NOT EXISTS j ON ONLY public.t (b);\n" +
				"CREATE INDEX CONCURRENTLY k ON t (a);\n-- CREATE INDEX l ON t (a)\nSELECT 'CREATE INDEX m ON t (a)';"},
			want: []string{up + ":1: pg-create-index", up + ":2: pg-create-index"},
		},
		{
			name:    "postgres index on a table the migration created",
			engines: []string{"postgres"},
			files:   map[string]string{up: "CREATE TABLE IF NOT EXISTS fresh (a INT);\nCREATE INDEX i ON fresh (a);\nALTER TABLE Fresh ADD CHECK (a > 0);\nCREATE INDEX j ON t (a);"},
			want:    []string{up + ":4: pg-create-index"},
		},
		{
			name:    "postgres column type",
			engines: []string{"postgres"},
			files:   map[string]string{up: "ALTER TABLE t ALTER COLUMN a TYPE BIGINT;\nALTER TABLE ONLY t ALTER a SET DATA TYPE text, ALTER b SET DEFAULT 0;\nALTER TABLE t ALTER b SET DEFAULT 1;"},
			want:    []string{up + ":1: pg-alter-column-type", up + ":2: pg-alter-column-type"},
		},
		{
			name:    "postgres volatile defaults",
			engines: []string{"postgres"},
			files: map[string]string{up: "ALTER TABLE t ADD COLUMN c uuid DEFAULT public.gen_random_uuid();\n" +
				"ALTER TABLE t ADD COLUMN d timestamptz NOT NULL DEFAULT now();\nALTER TABLE t ADD e INT DEFAULT 0;\n" +
				"ALTER TABLE t ADD COLUMN IF NOT EXISTS f bigserial;\nALTER TABLE t ADD COLUMN g timestamptz DEFAULT clock_timestamp();\n" +
				"ALTER TABLE t ADD COLUMN h INT GENERATED ALWAYS AS (a * 2) STORED;\nALTER TABLE t ADD COLUMN k TEXT DEFAULT 'random()';\n" +
				"ALTER TABLE t ADD COLUMN m double precision DEFAULT random();"},
			want: []string{up + ":1: pg-volatile-default", up + ":4: pg-volatile-default", up + ":5: pg-volatile-default",
				up + ":6: pg-volatile-default", up + ":8: pg-volatile-default"},
		},
		{
			name:    "postgres set not null",
			engines: []string{"postgres"},
			files: map[string]string{up: "ALTER TABLE u ALTER COLUMN id SET NOT NULL;\n" +
				"ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT t_a_nn;\n" +
				"ALTER TABLE t ALTER COLUMN a SET NOT NULL, DROP CONSTRAINT t_a_nn;"},
			want: []string{up + ":1: pg-set-not-null"},
		},
		{
			name:    "postgres constraints without not valid",
			engines: []string{"postgres"},
			files: map[string]string{up: "ALTER TABLE t ADD CONSTRAINT t_u FOREIGN KEY (a) REFERENCES u (id);\n" +
				"ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES u (id) NOT VALID;\nALTER TABLE t ADD CHECK (a > 0);\n" +
				"ALTER TABLE t ADD CONSTRAINT t_b CHECK (b > 0) NOT VALID;\nALTER TABLE t ADD CONSTRAINT t_id UNIQUE (id);"},
			want: []string{up + ":1: pg-foreign-key", up + ":3: pg-check"},
		},
		{
			name:    "allowed on the statement, after it on its line, or for the file",
			engines: []string{"postgres"},
			files: map[string]string{
				up: "CREATE INDEX j ON t (b);\n-- herd:allow pg-create-index\nCREATE INDEX i ON t (a);\n" +
					"CREATE INDEX k ON t (a); -- herd:allow pg-create-index\n/* herd:allow dml-without-where pg-check */ UPDATE t SET a = 1;\n" +
					"ALTER TABLE t ALTER a TYPE TEXT;",
				"tenant/v1.1.0/003_more.up.sql": "-- herd:kind schema\n-- herd:allow pg-create-index pg-alter-column-type\n\n" +
					"CREATE INDEX i2 ON t (a);\nCREATE INDEX j2 ON t (b);\nALTER TABLE t ALTER a TYPE TEXT;\nALTER TABLE t ADD CHECK (a > 0);",
			},
			want: []string{up + ":1: pg-create-index", up + ":6: pg-alter-column-type", "tenant/v1.1.0/003_more.up.sql:7: pg-check"},
		},
		{
			name:    "mysql column changes unless pinned online",
			engines: []string{"mysql"},
			files: map[string]string{up: "ALTER TABLE t MODIFY a BIGINT NOT NULL;\nALTER TABLE t CHANGE COLUMN b c INT, ALGORITHM=INPLACE, LOCK=NONE;\n" +
				"ALTER TABLE t MODIFY COLUMN a INT, ALGORITHM = INSTANT;\nALTER ONLINE TABLE t MODIFY a INT;\n" +
				"ALTER TABLE t MODIFY a INT, ALGORITHM=INPLACE;\nALTER TABLE t ADD COLUMN d INT, ADD INDEX i (a), ALTER COLUMN b SET DEFAULT 1;"},
			want: []string{up + ":1: mysql-column-type", up + ":5: mysql-column-type"},
		},
		{
			name:    "mysql actions that never run online",
			engines: []string{"mysql"},
			files: map[string]string{up: "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4, ALGORITHM=INPLACE, LOCK=NONE;\n" +
				"ALTER TABLE t DEFAULT CHARSET = utf8mb4;\nALTER TABLE t ADD CONSTRAINT fk_u FOREIGN KEY (a) REFERENCES u (id);\n" +
				"ALTER TABLE t ADD FULLTEXT INDEX ft (b);\nCREATE FULLTEXT INDEX ft2 ON t (b);\nCREATE INDEX i ON t (b);\n" +
				"ALTER TABLE t ADD COLUMN n INT AUTO_INCREMENT UNIQUE;\nALTER TABLE t ADD COLUMN g INT AS (a + 1) STORED;\n" +
				"ALTER TABLE t ADD COLUMN v INT AS (a + 1) VIRTUAL;\nALTER TABLE t CHARACTER SET = utf8mb4, ALGORITHM=INPLACE, LOCK=NONE;"},
			want: []string{up + ":1: mysql-charset", up + ":2: mysql-charset", up + ":3: mysql-foreign-key",
				up + ":4: mysql-fulltext-index", up + ":5: mysql-fulltext-index", up + ":7: mysql-add-column-copy",
				up + ":8: mysql-add-column-copy"},
		},
		{
			name:    "mysql primary keys",
			engines: []string{"mysql"},
			files: map[string]string{up: "ALTER TABLE u ADD PRIMARY KEY (id);\nALTER TABLE t DROP PRIMARY KEY, ADD CONSTRAINT pk PRIMARY KEY (id, a), ALGORITHM=INPLACE, LOCK=NONE;\n" +
				"ALTER TABLE t DROP PRIMARY KEY;\nCREATE TABLE n (id INT);\nALTER TABLE n ADD PRIMARY KEY (id), ADD FOREIGN KEY (id) REFERENCES t (id);"},
			want: []string{up + ":1: mysql-primary-key", up + ":3: mysql-primary-key"},
		},
		{
			name: "update and delete without where, on every engine",
			files: map[string]string{up: "UPDATE t SET a = 1;\nUPDATE t SET a = (SELECT id FROM u WHERE u.id = t.id);\n" +
				"UPDATE t SET a = 1 WHERE b = 2;\nDELETE FROM u;\nDELETE FROM u WHERE id = 1;\n" +
				"WITH x AS (SELECT id FROM u WHERE id > 1) DELETE FROM t;\nINSERT INTO t SELECT id, id, id FROM u;\n" +
				"CREATE TABLE n (id INT);\nUPDATE n SET id = 1;\n-- UPDATE t SET a = 2;\nSELECT 'DELETE FROM t';"},
			want: []string{up + ":1: dml-without-where", up + ":2: dml-without-where", up + ":4: dml-without-where", up + ":6: dml-without-where"},
		},
		{
			name:    "system migrations too, down files not",
			engines: []string{"postgres"},
			files: map[string]string{"system/v1.1.0/002_index.up.sql": "CREATE INDEX trusts_name ON trusts (name);",
				"system/v1.1.0/002_index.down.sql": "DROP INDEX trusts_name;\nCREATE INDEX x ON trusts (id);"},
			want: []string{"system/v1.1.0/002_index.up.sql:1: pg-create-index"},
		},
		{
			name:    "sqlite has no lock rules of its own",
			engines: []string{"sqlite"},
			files:   map[string]string{up: "CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x';"},
		},
		{
			name:    "a plain file is read by each engine",
			engines: []string{"postgres", "mysql"},
			files:   map[string]string{up: "ALTER TABLE t ADD CONSTRAINT fk_u FOREIGN KEY (a) REFERENCES u (id);"},
			want:    []string{up + ":1: mysql-foreign-key", up + ":1: pg-foreign-key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := lintFiles(t, tt.files, tt.engines...)
			require.Empty(t, f.Errors)
			got := []string{}
			for _, p := range f.Locks {
				rule, _, _ := strings.Cut(p.Msg, ":")
				got = append(got, source.Problem{File: p.File, Line: p.Line, Msg: rule}.String())
			}
			want := tt.want
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, got)
		})
	}
}

// A finding says what the statement does and what to do instead; an
// allow comment that names no rule is an error at its statement.
func TestLintLockMessages(t *testing.T) {
	t.Parallel()
	const up = "tenant/v1.1.0/002_change.up.sql"
	f := lintFiles(t, map[string]string{up: "CREATE INDEX i ON t (a);\n-- herd:allow pg-create-idx\nCREATE INDEX j ON t (b);"}, "postgres")
	require.Len(t, f.Errors, 1)
	require.Equal(t, up+":3", f.Errors[0].String()[:len(up)+2])
	require.Contains(t, f.Errors[0].Msg, `herd:allow: unknown rule "pg-create-idx" (want switch-database`)
	require.Len(t, f.Locks, 2)
	require.Equal(t, "pg-create-index: CREATE INDEX without CONCURRENTLY on t takes a SHARE lock on the table: "+
		"every INSERT, UPDATE and DELETE on it waits until the whole index is built; "+
		"instead: CREATE INDEX CONCURRENTLY in a -- herd:no-transaction migration "+
		"(a failed build leaves an invalid index, which herd repair names with the DROP INDEX to run) "+
		"(or write -- herd:allow pg-create-index before the statement if it is meant)", f.Locks[0].Msg)
}

// lintFiles lints lintBase with files added, for engines (every engine
// when none is named), with lintReleases.
func lintFiles(t *testing.T, files map[string]string, engines ...string) release.Findings {
	t.Helper()
	all := maps.Clone(lintBase)
	maps.Copy(all, files)
	src := load(t, all, engines...)
	cfg := parse(t, lintReleases, "herd.yaml")
	return release.Lint(release.New(cfg.Releases, src), src, cfg)
}
