package herd_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// herd rollback, taking the down path through an up migration that
// updated rows of a table whose triggers (or ON UPDATE CURRENT_TIMESTAMP
// columns) rewrite them, says that the down migration cannot restore what
// they rewrote and offers --from-snapshot, which restores the snapshot.
func TestRollbackWarnsOfRewrittenValues(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		f := func(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }
		b := setup(t, e, fstest.MapFS{
			"tenant/v1.0.0/001_pupils.up.sql":   f("CREATE TABLE pupils (id INTEGER PRIMARY KEY, name VARCHAR(40), touched INTEGER NOT NULL DEFAULT 0);"),
			"tenant/v1.0.0/001_pupils.down.sql": f("DROP TABLE pupils;"),
			"tenant/v1.1.0/002_upper.up.sql":    f("UPDATE pupils SET name = UPPER(name);"),
			"tenant/v1.1.0/002_upper.down.sql":  f("UPDATE pupils SET name = LOWER(name);"),
		})
		herd := cliAt(t, b.scratch.ConfigPath)
		for _, code := range []string{"plain", "touchy"} {
			b.addTenant(code)
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "v1.0.0"))
		}
		// The tenant's own rewrite, which herd's migrations know nothing of.
		db, _, err := b.fleet.OpenTenant(b.ctx, "touchy")
		require.NoError(t, err)
		var own []string
		switch e.Name {
		case "sqlite":
			own = []string{"CREATE TRIGGER pupils_touch AFTER UPDATE OF name ON pupils BEGIN " +
				"UPDATE pupils SET touched = touched + 1 WHERE id = NEW.id; END"}
		case "postgres":
			own = []string{"CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := NEW.touched + 1; RETURN NEW; END $$",
				"CREATE TRIGGER pupils_touch BEFORE UPDATE ON pupils FOR EACH ROW EXECUTE FUNCTION touch()"}
		case "mysql":
			own = []string{"ALTER TABLE pupils ADD COLUMN changed_at TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP"}
		}
		for _, stmt := range append(own, "INSERT INTO pupils (id, name) VALUES (1, 'ada')") {
			_, err := db.DB.ExecContext(b.ctx, stmt)
			require.NoError(t, err, stmt)
		}
		require.NoError(t, db.Close())
		if e.Name == "sqlite" {
			_, err := b.fleet.TakeSnapshot(b.ctx, "touchy", 0)
			require.NoError(t, err)
		}
		for _, code := range []string{"plain", "touchy"} {
			require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef(code), "v1.1.0"))
		}

		out := herd(0, "rollback", "--to", "v1.0.0", "--tenant", "plain")
		require.Equal(t, "tenant plain: at v1.0.0 (down migrations)\n", out)

		out = herd(0, "rollback", "--to", "v1.0.0", "--tenant", "touchy")
		require.Contains(t, out, "tenant touchy: at v1.0.0 (down migrations)\n")
		require.Contains(t, out, "note: v1.1.0/002_upper (tenant/v1.1.0/002_upper.up.sql:1) updated rows of pupils, "+
			"which has triggers or ON UPDATE columns: its down migration cannot restore values they rewrote; "+
			"herd rollback --to v1.0.0 --tenant touchy --from-snapshot restores its snapshot at v1.0.0 instead")

		if e.Name != "sqlite" {
			out = herd(2, "rollback", "--to", "v1.0.0", "--tenant", "touchy", "--from-snapshot")
			require.Contains(t, out, `it has no snapshot at v1.0.0`)
			return
		}
		out = herd(0, "rollback", "--to", "v1.0.0", "--tenant", "touchy", "--from-snapshot")
		require.Regexp(t, `^tenant touchy: at v1.0.0 \(snapshot [^)]+\)\n$`, out)
		require.Equal(t, 1, b.count("touchy", "pupils WHERE touched = 0"), "the snapshot's values, not the trigger's")
	})
}
