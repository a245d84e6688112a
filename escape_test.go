package herd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// A tenant migration that moves its session to another tenant's database
// (MySQL's USE, PostgreSQL's search_path, SQLite's ATTACH) is refused by
// herd lint at its line; allowed there, it still fails when it runs,
// before the tenant's ledger records it, and the other tenant holds
// neither its objects nor a record of it.
func TestMigrationCannotLeaveItsTenant(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		f := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
		b := setup(t, e, fstest.MapFS{
			"tenant/v1.0.0/001_base.up.sql":   f("CREATE TABLE base (id INTEGER PRIMARY KEY);"),
			"tenant/v1.0.0/001_base.down.sql": f("DROP TABLE base;"),
		})
		b.addTenant("a")
		b.addTenant("b")
		for _, code := range []string{"a", "b"} {
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), ""))
		}
		other, _, err := b.fleet.OpenTenant(b.ctx, "b")
		require.NoError(t, err)
		otherName := other.Name
		require.NoError(t, other.Close())

		// line is where lint finds the statement that moves the session,
		// statement its number, allow the rules that allow the file.
		var escape, allow string
		var line, statement int
		switch {
		case e.Name == "mysql":
			escape = fmt.Sprintf("CREATE TABLE before_use (id INT);\nUSE `%s`;\nCREATE TABLE landed (id INT);", otherName)
			line, statement, allow = 2, 2, "switch-database"
		case e.SchemaPerTenant():
			escape = fmt.Sprintf("CREATE TABLE before_set (id INT);\nSET search_path = %q;\nCREATE TABLE landed (id INT);", otherName)
			line, statement, allow = 2, 2, "switch-database"
		case e.Name == "postgres":
			// pg_dump's way: an empty search_path, names qualified.
			escape = "SELECT pg_catalog.set_config('search_path', 'elsewhere', false);\n" +
				"CREATE SCHEMA IF NOT EXISTS elsewhere;\nCREATE TABLE landed (id INT);"
			line, statement, allow = 1, 1, "switch-database create-database"
		default: // sqlite: ATTACH cannot run in a transaction
			escape = fmt.Sprintf("-- herd:no-transaction\nATTACH DATABASE '%s' AS other;\nCREATE TABLE other.landed (id INTEGER);", otherName)
			line, statement, allow = 2, 1, "attach-database"
		}
		dir := filepath.Join(b.scratch.Dir, "migrations", "tenant", "v1.1.0")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		up := filepath.Join(dir, "002_escape."+e.Name+".up.sql")
		write := func(body string) {
			require.NoError(t, os.WriteFile(up, []byte(body), 0o644))
		}
		write(escape)
		code, out := runCLI(t, "--config", b.scratch.ConfigPath, "lint")
		require.Equal(t, 2, code, out)
		require.Contains(t, out, fmt.Sprintf("%s:%d: ", up, line))
		require.Contains(t, out, "in tenant migration v1.1.0/002_escape")

		write("-- herd:allow " + allow + "\n" + escape)
		code, out = runCLI(t, "--config", b.scratch.ConfigPath, "lint")
		require.Equal(t, 0, code, out)

		b.reopen()
		err = b.fleet.Migrate(b.ctx, control.TenantRef("a"), "")
		require.ErrorIs(t, err, execute.ErrLeftDatabase)
		require.ErrorContains(t, err, "v1.1.0/002_escape")

		// Not recorded in the tenant's ledger: rolled back where DDL is
		// transactional, dirty with the cause on MySQL and for SQLite's
		// no-transaction migration.
		ledger, err := b.fleet.Ledger(b.ctx, control.TenantRef("a"))
		require.NoError(t, err)
		var ids []string
		for _, entry := range ledger {
			ids = append(ids, entry.ID)
			if entry.ID == "v1.1.0/002_escape" {
				require.Equal(t, execute.StateDirty, entry.State)
				require.Contains(t, entry.Error, "moved its session out of the tenant's database")
				require.Equal(t, statement, entry.StatementsDone, "the statement that moved ran, nothing after it")
			}
		}
		if e.Name == "postgres" {
			require.Equal(t, []string{"v1.0.0/001_base"}, ids)
			require.False(t, b.tableExists("a", "before_set"), "rolled back")
		} else {
			require.Equal(t, []string{"v1.0.0/001_base", "v1.1.0/002_escape"}, ids)
		}

		// The other tenant holds neither the objects nor the migration.
		require.False(t, b.tableExists("b", "landed"))
		require.False(t, b.tableExists("a", "landed"))
		ledger, err = b.fleet.Ledger(b.ctx, control.TenantRef("b"))
		require.NoError(t, err)
		require.Len(t, ledger, 1)
		require.Equal(t, "v1.0.0/001_base", ledger[0].ID)

		// The session that moved was not pooled: the tenant's next
		// connection is in its own database.
		require.True(t, b.tableExists("a", "base"))
	})
}
