package dialect_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/dialect/sqlite"
)

func TestBind(t *testing.T) {
	const query = "UPDATE t SET a = ?, b = ? WHERE c IN (?, ?)"
	tests := []struct {
		name  string
		q     dialect.Quoter
		query string
		want  string
	}{
		{"postgres numbers the markers", postgres.New(), query, "UPDATE t SET a = $1, b = $2 WHERE c IN ($3, $4)"},
		{"postgres marker at the end", postgres.New(), "a = ?", "a = $1"},
		{"postgres marker at the start", postgres.New(), "?, x", "$1, x"},
		{"postgres no marker", postgres.New(), "SELECT 1", "SELECT 1"},
		{"postgres keeps other text", postgres.New(), "SELECT 'é' || ?", "SELECT 'é' || $1"},
		{"sqlite keeps ?", sqlite.New(), query, query},
		{"mysql keeps ?", mysql.New(), query, query},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, dialect.Bind(tt.q, tt.query))
		})
	}
}
