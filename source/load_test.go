package source_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/source"
)

func file(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

func TestLoadGood(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"system/v1.0.0/001_create_trusts.up.sql":               file("CREATE TABLE trusts (id INT);"),
		"system/v1.0.0/001_create_trusts.down.sql":             file("DROP TABLE trusts;"),
		"tenant/v1.0.0/001_create_students.up.sql":             file("-- students\n-- herd:kind schema\nCREATE TABLE students (id INT);"),
		"tenant/v1.0.0/001_create_students.down.sql":           file("DROP TABLE students;"),
		"tenant/v1.1.0/002_backfill.up.sql":                    file("-- herd:kind data\n-- herd:depends v1.0.0/001_create_students\nUPDATE students SET id = id;"),
		"tenant/v1.1.0/002_backfill.validate.sql":              file("SELECT 1;"),
		"tenant/v1.1.0/003_index.up.sql":                       file("-- herd:no-transaction\nCREATE INDEX i ON students (id);"),
		"tenant/v1.1.0/003_index.postgres.up.sql":              file("-- herd:no-transaction\nCREATE INDEX CONCURRENTLY i ON students (id);"),
		"tenant/v1.1.0/README.md":                              file("not a migration"),
		"tenant/v2.0.0-beta.1/004_experiment.up.sql":           file("SELECT 1;"),
		"tenant/v10.0.0/005_ordered_by_semver_not_text.up.sql": file("SELECT 1;"),
	}
	src, err := source.Load(fsys, herdtest.SourceEngines(), nil)
	require.NoError(t, err)

	var ids []string
	for _, m := range src.Migrations(source.Tenant) {
		ids = append(ids, m.ID())
	}
	require.Equal(t, []string{
		"v1.0.0/001_create_students", "v1.1.0/002_backfill", "v1.1.0/003_index",
		"v2.0.0-beta.1/004_experiment", "v10.0.0/005_ordered_by_semver_not_text",
	}, ids)
	require.Len(t, src.Versions(source.Tenant), 4)
	require.Len(t, src.Migrations(source.System), 1)

	backfill := src.Find(source.Tenant, "v1.1.0/002_backfill")
	require.Equal(t, source.Data, backfill.Kind)
	require.Equal(t, []string{"v1.0.0/001_create_students"}, backfill.Depends)
	require.False(t, backfill.Reversible("sqlite"))
	_, ok := backfill.Validate("mysql")
	require.True(t, ok)

	index := src.Find(source.Tenant, "v1.1.0/003_index")
	require.True(t, index.NoTransaction)
	pg, _ := index.Up("postgres")
	require.Contains(t, pg.SQL, "CONCURRENTLY")
	my, _ := index.Up("mysql")
	require.NotContains(t, my.SQL, "CONCURRENTLY")
	require.NotEqual(t, index.Checksum("postgres"), index.Checksum("mysql"))
}

func TestChecksumNormalisesLineEndingsAndBOM(t *testing.T) {
	t.Parallel()
	load := func(body string) string {
		src, err := source.Load(fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file(body)}, herdtest.SourceEngines(), nil)
		require.NoError(t, err)
		return src.Migrations(source.Tenant)[0].Checksum("sqlite")
	}
	plain := load("CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n")
	require.Equal(t, plain, load("\uFEFFCREATE TABLE a (id INT);\r\nCREATE TABLE b (id INT);\r\n"))
	require.NotEqual(t, plain, load("CREATE TABLE a (id BIGINT);\nCREATE TABLE b (id INT);\n"))
	require.Len(t, plain, 64)
}

func TestLoadProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // a problem line that must be reported
	}{
		{"version folder not semver", fstest.MapFS{"tenant/v1.x/001_a.up.sql": file("SELECT 1;")},
			`tenant/v1.x: version folder "v1.x" is not a semantic version`},
		{"duplicate sequence in one version", fstest.MapFS{
			"tenant/v1.0.0/001_a.up.sql": file("SELECT 1;"), "tenant/v1.0.0/001_b.up.sql": file("SELECT 1;")},
			"duplicate sequence number 001"},
		{"duplicate sequence across versions", fstest.MapFS{
			"tenant/v1.0.0/001_a.up.sql": file("SELECT 1;"), "tenant/v1.1.0/001_b.up.sql": file("SELECT 1;")},
			"tenant/v1.1.0/001_b.up.sql: duplicate sequence number 001: also used by v1.0.0/001_a"},
		{"sequence going backwards", fstest.MapFS{
			"tenant/v1.0.0/002_a.up.sql": file("SELECT 1;"), "tenant/v1.1.0/001_b.up.sql": file("SELECT 1;")},
			"sequence 001 in v1.1.0 comes after v1.0.0/002_a"},
		{"down without up", fstest.MapFS{"tenant/v1.0.0/001_a.down.sql": file("SELECT 1;")},
			"tenant/v1.0.0/001_a.down.sql: 001_a.down.sql has no up file"},
		{"validate without up", fstest.MapFS{"tenant/v1.0.0/001_a.validate.sql": file("SELECT 1;")},
			"tenant/v1.0.0/001_a.validate.sql: 001_a.validate.sql has no up file"},
		{"unknown dialect suffix", fstest.MapFS{"tenant/v1.0.0/001_a.oracle.up.sql": file("SELECT 1;")},
			`tenant/v1.0.0/001_a.oracle.up.sql: unknown engine suffix "oracle"`},
		{"bad file name", fstest.MapFS{"tenant/v1.0.0/AddThing.sql": file("SELECT 1;")},
			"tenant/v1.0.0/AddThing.sql: file name must look like NNN_name"},
		{"unknown metadata key", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- about a\n-- herd:kindd data\nSELECT 1;")},
			"tenant/v1.0.0/001_a.up.sql:2: unknown metadata key herd:kindd"},
		{"unknown allow rule", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- herd:allow use-database\nUSE x;")},
			`tenant/v1.0.0/001_a.up.sql:1: herd:allow: unknown rule "use-database" (want switch-database, create-database, drop-database, attach-database, outside-schema, dml-without-where, pg-create-index`},
		{"allow without a rule", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- herd:allow\nUSE x;")},
			"tenant/v1.0.0/001_a.up.sql:1: herd:allow needs a rule name"},
		{"bad kind", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- herd:kind magic\nSELECT 1;")},
			`tenant/v1.0.0/001_a.up.sql:1: herd:kind "magic": want schema, data or feature`},
		{"dependency cycle", fstest.MapFS{
			"tenant/v1.0.0/001_a.up.sql": file("-- herd:depends v1.0.0/002_b\nSELECT 1;"),
			"tenant/v1.0.0/002_b.up.sql": file("-- herd:depends v1.0.0/001_a\nSELECT 1;")},
			"dependency cycle: v1.0.0/001_a -> v1.0.0/002_b -> v1.0.0/001_a"},
		{"dependency on itself", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- herd:depends v1.0.0/001_a\nSELECT 1;")},
			"dependency cycle: v1.0.0/001_a depends on itself"},
		{"dependency on a later migration", fstest.MapFS{
			"tenant/v1.0.0/001_a.up.sql": file("-- herd:depends v1.1.0/002_b\nSELECT 1;"),
			"tenant/v1.1.0/002_b.up.sql": file("SELECT 1;")},
			"v1.0.0/001_a depends on a later migration, v1.1.0/002_b"},
		{"dependency unknown", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- herd:depends v1.0.0/009_nope\nSELECT 1;")},
			"v1.0.0/001_a depends on unknown migration v1.0.0/009_nope"},
		{"empty migration", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("-- nothing here\n\n")},
			"tenant/v1.0.0/001_a.up.sql: empty migration: no SQL statement"},
		{"unterminated string", fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("SELECT 1;\nSELECT 'oops;\n")},
			"tenant/v1.0.0/001_a.up.sql:2:"},
		{"override only for one engine", fstest.MapFS{"tenant/v1.0.0/001_a.postgres.up.sql": file("SELECT 1;")},
			"v1.0.0/001_a has no up file for sqlite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := source.Load(tt.files, herdtest.SourceEngines(), nil)
			require.Error(t, err)
			var lint *source.Error
			require.ErrorAs(t, err, &lint)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	_, err := source.Load(fstest.MapFS{
		"tenant/vX/001_a.up.sql":            file("SELECT 1;"),
		"tenant/v1.0.0/001_a.down.sql":      file("SELECT 1;"),
		"tenant/v1.0.0/002_b.up.sql":        file("-- herd:colour red\nSELECT 1;"),
		"tenant/v1.0.0/003_c.oracle.up.sql": file("SELECT 1;"),
	}, herdtest.SourceEngines(), &source.Options{Root: "migrations"})
	var lint *source.Error
	require.ErrorAs(t, err, &lint)
	require.Len(t, lint.Problems, 4, err.Error())
	for _, p := range lint.Problems {
		require.True(t, strings.HasPrefix(p.File, "migrations/tenant/"), p.File)
	}
}

func TestGoMigration(t *testing.T) {
	t.Parallel()
	up := func(ctx context.Context, db source.DB) error { return nil }
	src, err := source.Load(fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("SELECT 1;")}, herdtest.SourceEngines(), &source.Options{
		Go: []source.GoMigration{{Target: source.Tenant, ID: "v1.1.0/002_backfill_in_go", Up: up}},
	})
	require.NoError(t, err)
	m := src.Find(source.Tenant, "v1.1.0/002_backfill_in_go")
	require.NotNil(t, m)
	require.Equal(t, source.Data, m.Kind)
	require.False(t, m.Reversible("sqlite"))

	_, err = source.Load(fstest.MapFS{}, herdtest.SourceEngines(), &source.Options{
		Go: []source.GoMigration{{Target: source.Tenant, ID: "backfill", Up: up}},
	})
	require.ErrorContains(t, err, `migration id "backfill" must look like v1.2.0/003_name`)
}

// TestLoadEngines checks that a source serves the engines it is given:
// an override file for an engine it does not serve is accepted when
// Options.Known names that engine, and is a problem otherwise; and a
// source needs an engine to serve.
func TestLoadEngines(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"tenant/v1.0.0/001_a.up.sql":       file("SELECT 1;"),
		"tenant/v1.0.0/001_a.mysql.up.sql": file("SELECT 2;"),
	}
	sqlite := herdtest.SourceEngines("sqlite")
	tests := []struct {
		name    string
		engines []source.Engine
		opts    *source.Options
		err     string
	}{
		{name: "known", engines: sqlite, opts: &source.Options{Known: config.Engines()}},
		{name: "served", engines: herdtest.SourceEngines("sqlite", "mysql")},
		{name: "unknown", engines: sqlite,
			err: `tenant/v1.0.0/001_a.mysql.up.sql: unknown engine suffix "mysql" (want sqlite)`},
		{name: "no engine", err: "no engine to serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src, err := source.Load(fsys, tt.engines, tt.opts)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.engines, src.Engines())
		})
	}
}

// A chunked Go migration's Chunk is checked and gets its defaults, as a
// herd:chunked line would.
func TestGoChunk(t *testing.T) {
	t.Parallel()
	up := func(ctx context.Context, db source.DB) error { return nil }
	tests := []struct {
		name  string
		chunk source.Chunk
		noTx  bool
		want  *source.Chunk
		fails string
	}{
		{name: "defaults", chunk: source.Chunk{Table: "items", Key: "id"},
			want: &source.Chunk{Table: "items", Key: "id", Size: source.DefaultChunkSize}},
		{name: "as given", chunk: source.Chunk{Table: "items", Key: "code", Size: 50, Pause: time.Millisecond, Target: time.Second},
			want: &source.Chunk{Table: "items", Key: "code", Size: 50, Pause: time.Millisecond, Target: time.Second}},
		{name: "no key", chunk: source.Chunk{Table: "items"}, fails: `go:v1.1.0/002_go: Chunk: table "items" and key "" must be plain identifiers`},
		{name: "qualified table", chunk: source.Chunk{Table: "s.items", Key: "id"}, fails: `Chunk: table "s.items" and key "id" must be plain identifiers`},
		{name: "size", chunk: source.Chunk{Table: "items", Key: "id", Size: -1}, fails: "Chunk: size -1: want 1 to 1000000"},
		{name: "negative pause", chunk: source.Chunk{Table: "items", Key: "id", Pause: -time.Second}, fails: "Chunk: pause and target must not be negative"},
		{name: "no transaction", chunk: source.Chunk{Table: "items", Key: "id"}, noTx: true,
			fails: "a chunked Go migration cannot be NoTransaction: each range is a transaction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chunk := tt.chunk
			src, err := source.Load(fstest.MapFS{"tenant/v1.0.0/001_a.up.sql": file("SELECT 1;")}, herdtest.SourceEngines(), &source.Options{
				Go: []source.GoMigration{{Target: source.Tenant, ID: "v1.1.0/002_go", Up: up, Chunk: &chunk, NoTransaction: tt.noTx}},
			})
			if tt.fails != "" {
				require.ErrorContains(t, err, tt.fails)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, src.Find(source.Tenant, "v1.1.0/002_go").Chunk)
		})
	}
}
