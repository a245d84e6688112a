package herd

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/sqlsplit"
)

func TestUpdatedTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stmt   string
		family sqlsplit.Family
		want   string
	}{
		{"UPDATE pupils SET a = 1", sqlsplit.SQLite, "PUPILS"},
		{"update low_priority ignore `erp`.`Pupils` set a = 1", sqlsplit.MySQL, "Pupils"},
		{`UPDATE ONLY public."Fees" SET a = 1`, sqlsplit.Postgres, "Fees"},
		{"UPDATE OR REPLACE pupils SET a = 1", sqlsplit.SQLite, "PUPILS"},
		{"REPLACE INTO pupils VALUES (1)", sqlsplit.MySQL, "PUPILS"},
		{"INSERT INTO pupils VALUES (1) ON DUPLICATE KEY UPDATE a = 2", sqlsplit.MySQL, "PUPILS"},
		{"INSERT INTO s.pupils VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 2", sqlsplit.Postgres, "PUPILS"},
		{"INSERT INTO pupils VALUES (1) ON CONFLICT DO NOTHING", sqlsplit.Postgres, ""},
		{"INSERT INTO pupils VALUES ('on duplicate key update')", sqlsplit.MySQL, ""},
		{"DELETE FROM pupils", sqlsplit.MySQL, ""},
		{"SELECT 'UPDATE pupils'", sqlsplit.MySQL, ""},
	}
	for _, tt := range tests {
		toks, err := sqlsplit.Tokens(tt.stmt, tt.family)
		require.NoError(t, err, tt.stmt)
		require.Equal(t, tt.want, updatedTable(toks), tt.stmt)
	}
}
