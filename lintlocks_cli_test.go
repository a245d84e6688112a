package herd_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/herdtest"
	"github.com/herdhq/herd/internal/locklint"
)

// herd lint warns of statements that make the application queue, by the
// rules of the engine the fleet runs on, and exits 0; --strict exits 2; a
// herd:allow comment on the statement silences its rule.
func TestLintLocksCLI(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		f := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
		fleet := e.NewFleet(t, fstest.MapFS{
			"system/v1.0.0/001_trusts.up.sql":   f("CREATE TABLE trusts (id INTEGER PRIMARY KEY);"),
			"system/v1.0.0/001_trusts.down.sql": f("DROP TABLE trusts;"),
			"tenant/v1.0.0/001_pupils.up.sql":   f("CREATE TABLE pupils (id INTEGER PRIMARY KEY, nickname VARCHAR(50));"),
			"tenant/v1.0.0/001_pupils.down.sql": f("DROP TABLE pupils;"),
		})
		up := filepath.Join(fleet.Dir, "migrations", "tenant", "v1.1.0", "002_nicknames.up.sql")
		require.NoError(t, os.MkdirAll(filepath.Dir(up), 0o755))
		write := func(body string) {
			require.NoError(t, os.WriteFile(up, []byte(body), 0o644))
		}
		write("CREATE INDEX pupils_nickname ON pupils (nickname);\nUPDATE pupils SET nickname = 'none';\n")
		require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(up), "002_nicknames.down.sql"), []byte("DROP INDEX pupils_nickname;"), 0o644))
		run := cliAt(t, fleet.ConfigPath)

		out := run(0, "lint")
		require.Contains(t, out, up+":2: warning: dml-without-where: UPDATE or DELETE without WHERE on pupils ")
		index := up + ":1: warning: pg-create-index: CREATE INDEX without CONCURRENTLY on pupils "
		if e.Name == "postgres" {
			require.Contains(t, out, index)
			require.Contains(t, out, "2 warnings\n")
		} else {
			require.NotContains(t, out, "pg-create-index")
			require.Contains(t, out, "1 warning\n")
		}

		out = run(2, "lint", "--strict")
		require.Contains(t, out, up+":2: dml-without-where: ")
		require.NotContains(t, out, "warning: dml-without-where")

		write("CREATE INDEX pupils_nickname ON pupils (nickname); -- herd:allow pg-create-index\n" +
			"-- herd:allow dml-without-where: every pupil gets the placeholder\nUPDATE pupils SET nickname = 'none';\n")
		require.NotContains(t, run(0, "lint", "--strict"), "warning")
	})
}

// docs/lint.md lists every lock rule, by its ID, in a table row of its own.
func TestLintDocsListEveryLockRule(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("docs", "lint.md"))
	require.NoError(t, err)
	rules := locklint.Everywhere()
	for _, d := range herdtest.Dialects() {
		if l, ok := d.(locklint.Linter); ok {
			rules = append(rules, l.LockRules()...)
		}
	}
	require.Len(t, rules, 13)
	for _, r := range rules {
		require.Contains(t, string(doc), "\n| `"+r.ID+"` |", "docs/lint.md has no row for %s", r.ID)
	}
}
