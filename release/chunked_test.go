package release

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/internal/sqlsplit"
)

// lexer is an engine that only reads SQL, as lockFindings needs one.
type lexer sqlsplit.Family

func (l lexer) Name() string { return sqlsplit.Family(l).String() }
func (l lexer) Split(script string) ([]sqlsplit.Statement, error) {
	return sqlsplit.Split(script, sqlsplit.Family(l))
}
func (l lexer) Tokens(stmt string) ([]sqlsplit.Token, error) {
	return sqlsplit.Tokens(stmt, sqlsplit.Family(l))
}

// A migration whose header says herd:chunked runs range by range, so its
// UPDATE without WHERE is no finding; the header must open the file.
func TestChunkedMigrationsMayUpdateEveryRow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"chunked header", "-- herd:kind data\n-- herd:chunked table=t key=id size=100\nUPDATE t SET a = 1;", 0},
		{"no header", "-- herd:kind data\nUPDATE t SET a = 1;", 1},
		{"header after the first statement", "SELECT 1;\n-- herd:chunked table=t key=id\nUPDATE t SET a = 1;", 1},
		{"a word that starts the same", "-- herd:chunkedness\nUPDATE t SET a = 1;", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, found, err := lockFindings(lexer(sqlsplit.SQLite), tt.script)
			require.NoError(t, err)
			require.Len(t, found, tt.want)
		})
	}
}
