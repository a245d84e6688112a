package release

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/sqlsplit"
)

// The lexical corners of destructive, one statement at a time.
func TestDestructive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		family sqlsplit.Family
		stmt   string
		want   []string
	}{
		{"nested postgres comment", sqlsplit.Postgres, "/* a /* b */ DROP TABLE x */ SELECT 1", nil},
		{"sqlite comment does not nest", sqlsplit.SQLite, "/* a /* b */ DROP TABLE x", []string{dropTable}},
		{"mysql -- needs a space", sqlsplit.MySQL, "ALTER TABLE t DROP COLUMN a --x", []string{dropColumn}},
		{"mysql hash comment", sqlsplit.MySQL, "# DROP TABLE x\nSELECT 1", nil},
		{"hash is no comment elsewhere", sqlsplit.Postgres, "SELECT 1 # 2", nil},
		{"sqlite bracket identifier", sqlsplit.SQLite, "ALTER TABLE [drop table] ADD COLUMN [drop] INT", nil},
		{"sqlite bracket table dropped", sqlsplit.SQLite, "ALTER TABLE [my t] DROP COLUMN [a b]", []string{dropColumn}},
		{"quoted qualified name", sqlsplit.Postgres, `ALTER TABLE IF EXISTS "s"."t" RENAME "a" TO "b"`, []string{renameColumn}},
		{"mysql rename as", sqlsplit.MySQL, "ALTER TABLE t RENAME AS u", []string{renameTable}},
		{"mysql online ignore", sqlsplit.MySQL, "ALTER ONLINE IGNORE TABLE t DROP x", []string{dropColumn}},
		{"two kinds once each", sqlsplit.MySQL, "ALTER TABLE t DROP a, DROP b, RENAME TO u", []string{dropColumn, renameTable}},
		{"drop inside parentheses is no action", sqlsplit.Postgres, "ALTER TABLE t ADD CONSTRAINT c CHECK (a <> 0), ADD COLUMN d INT", nil},
		{"dollar quote", sqlsplit.Postgres, "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$", nil},
		{"placeholder is no dollar quote", sqlsplit.Postgres, "PREPARE p AS SELECT $1", nil},
		{"alter view", sqlsplit.Postgres, "ALTER VIEW v RENAME TO w", nil},
		{"alter index", sqlsplit.Postgres, "ALTER INDEX i RENAME TO j", nil},
		{"drop schema", sqlsplit.Postgres, "DROP SCHEMA s CASCADE", nil},
		{"truncated alter", sqlsplit.SQLite, "ALTER TABLE t DROP", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			toks, err := sqlsplit.Tokens(tt.stmt, tt.family)
			require.NoError(t, err)
			require.Equal(t, tt.want, destructive(toks))
		})
	}
}
