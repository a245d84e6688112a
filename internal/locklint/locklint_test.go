package locklint

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/sqlsplit"
)

func tokens(t *testing.T, stmt string, f sqlsplit.Family) Tokens {
	t.Helper()
	toks, err := sqlsplit.Tokens(stmt, f)
	require.NoError(t, err)
	return toks
}

func TestUnboundedDML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stmt string
		table      string // "" when the statement is bounded or no UPDATE/DELETE
	}{
		{"update", "UPDATE students SET a = 1", "students"},
		{"quoted and qualified", `UPDATE "s"."Students" SET a = 1`, "Students"},
		{"where", "update students set a = 1 where id = 2", ""},
		{"where only in a subquery", "UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id)", "t"},
		{"from without where", "UPDATE t SET a = u.b FROM u", "t"},
		{"mysql modifiers", "UPDATE LOW_PRIORITY IGNORE t SET a = 1", "t"},
		{"sqlite or replace", "UPDATE OR REPLACE t SET a = 1", "t"},
		{"delete", "DELETE FROM ONLY t", "t"},
		{"delete with limit", "DELETE FROM t ORDER BY id LIMIT 1000", ""},
		{"cte then delete", "WITH x AS (DELETE FROM u WHERE id = 1 RETURNING id) DELETE FROM t", "t"},
		{"cte then select", "WITH x AS (SELECT 1) SELECT * FROM x", ""},
		{"insert", "INSERT INTO t SELECT * FROM u", ""},
		{"update in a string", "SELECT 'UPDATE t SET a = 1'", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, ok := UnboundedDML(tokens(t, tt.stmt, sqlsplit.Postgres))
			require.Equal(t, tt.table, table)
			require.Equal(t, tt.table != "", ok)
		})
	}
}

func TestAlterTable(t *testing.T) {
	t.Parallel()
	toks := tokens(t, "ALTER TABLE IF EXISTS ONLY public.t * ADD CONSTRAINT c CHECK (a IN (1, 2)), ALTER b TYPE int", sqlsplit.Postgres)
	table, actions, ok := toks.AlterTable()
	require.True(t, ok)
	require.Equal(t, "t", table)
	require.Len(t, actions, 2)
	require.Equal(t, "ADD", actions[0].Word(0))
	require.Equal(t, "ALTER", actions[1].Word(0))
	_, _, ok = tokens(t, "ALTER INDEX i RENAME TO j", sqlsplit.Postgres).AlterTable()
	require.False(t, ok)

	created := Created{}
	created.Note(tokens(t, "CREATE UNLOGGED TABLE IF NOT EXISTS s.Fresh (id INT)", sqlsplit.Postgres))
	require.True(t, created.Has("FRESH"))
	require.False(t, created.Has("s"))
}
