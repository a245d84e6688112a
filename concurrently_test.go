package herd_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/herdtest"
)

// On PostgreSQL a herd:no-transaction migration may CREATE INDEX
// CONCURRENTLY; one that fails leaves an invalid index, which herd repair
// names with the statement that drops it, and a retry refuses to run
// until it is gone (CREATE INDEX ... IF NOT EXISTS would skip it).
func TestCreateIndexConcurrently(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.Name != "postgres" {
			continue
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			f := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
			b := setup(t, e, fstest.MapFS{
				"tenant/v1.0.0/001_pupils.up.sql": f("CREATE TABLE pupils (id INT PRIMARY KEY, nickname TEXT);\n" +
					"INSERT INTO pupils VALUES (1, 'ace'), (2, 'ace'), (3, 'bo');"),
				"tenant/v1.1.0/002_by_id.up.sql":   f("-- herd:no-transaction\nCREATE INDEX CONCURRENTLY pupils_by_id ON pupils (id, nickname);"),
				"tenant/v1.1.0/002_by_id.down.sql": f("-- herd:no-transaction\nDROP INDEX CONCURRENTLY pupils_by_id;"),
				"tenant/v1.2.0/003_nickname.up.sql": f("-- herd:no-transaction\n" +
					"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS pupils_nickname ON pupils (nickname);"),
				"tenant/v1.2.0/003_nickname.down.sql": f("-- herd:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS pupils_nickname;"),
			})
			b.addTenant("alpha")
			b.addTenant("beta")
			alpha := control.TenantRef("alpha")
			run := cliAt(t, b.scratch.ConfigPath)
			db, _, err := b.fleet.OpenTenant(b.ctx, "alpha")
			require.NoError(t, err)
			defer db.Close()
			valid := func(index string) (ok, exists bool) {
				t.Helper()
				var n int
				require.NoError(t, db.DB.QueryRowContext(b.ctx, `SELECT count(*), coalesce(bool_and(x.indisvalid), false)
					FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
					WHERE i.relname = $1 AND i.relnamespace = current_schema()::regnamespace`, index).Scan(&n, &ok))
				return ok, n == 1
			}

			run(0, "migrate", "--tenant", "alpha", "--to", "v1.1.0")
			ok, exists := valid("pupils_by_id")
			require.True(t, exists && ok, "the concurrent build made a valid index")
			b.agree(alpha, "1.1.0")
			require.Equal(t, `tenant "alpha": nothing to repair`+"\n", run(0, "repair", "--tenant", "alpha"))

			// Two pupils share a nickname: the unique build fails and leaves its index, invalid.
			run(1, "migrate", "--tenant", "alpha", "--to", "v1.2.0")
			ok, exists = valid("pupils_nickname")
			require.True(t, exists && !ok, "a failed concurrent build leaves an invalid index")
			var schema string
			require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT current_schema()").Scan(&schema))
			drop := `DROP INDEX CONCURRENTLY IF EXISTS "` + schema + `"."pupils_nickname";`
			require.Equal(t, `tenant "beta": nothing to repair`+"\n", run(0, "repair", "--tenant", "beta"), "another tenant's index is not beta's")
			out := run(0, "repair", "--tenant", "alpha")
			require.Contains(t, out, `tenant "alpha": v1.2.0/003_nickname`)
			require.Contains(t, out, `tenant "alpha": invalid index pupils_nickname on `+schema+".pupils, left by a failed CREATE INDEX CONCURRENTLY "+
				"(or being built now): drop it before --action retry or rollback: "+drop+"\n")

			// The data is fixed, but a retry would skip the invalid index: it refuses, naming it.
			_, err = db.DB.ExecContext(b.ctx, "UPDATE pupils SET nickname = 'al' WHERE id = 1")
			require.NoError(t, err)
			// So does a rollback, which would leave it behind.
			for _, action := range []execute.RepairAction{execute.Retry, execute.Rollback} {
				_, err = b.fleet.Repair(b.ctx, alpha, action, execute.UncertainUnknown)
				require.ErrorContains(t, err, "invalid index(es), which a later run could skip; drop them, then repair: pupils_nickname (on pupils): "+drop)
				ok, exists = valid("pupils_nickname")
				require.True(t, exists && !ok, "the refused %s changed nothing", action)
			}

			// Dropped as repair says, the retry builds it.
			_, err = db.DB.ExecContext(b.ctx, drop)
			require.NoError(t, err)
			run(0, "repair", "--tenant", "alpha", "--action", "retry")
			ok, exists = valid("pupils_nickname")
			require.True(t, exists && ok)
			b.agree(alpha, "1.2.0")
			require.Equal(t, `tenant "alpha": nothing to repair`+"\n", run(0, "repair", "--tenant", "alpha"))
		})
	}
}
