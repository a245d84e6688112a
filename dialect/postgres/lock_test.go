package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLockKey(t *testing.T) {
	t.Parallel()
	require.Equal(t, lockKey("app", ""), lockKey("app", "public"), "public is the database's default schema")
	require.NotEqual(t, lockKey("app", "t1"), lockKey("app", "t2"))
	require.NotEqual(t, lockKey("app", "t1"), lockKey("app", ""))
	require.NotEqual(t, lockKey("a", ""), lockKey("b", ""))
	require.Equal(t, lockKey("app", "t1"), lockKey("app", "t1"), "stable")
}

func TestQuoteAndPlaceholder(t *testing.T) {
	t.Parallel()
	d := New()
	require.Equal(t, `"a""b"`, d.QuoteIdent(`a"b`))
	require.Equal(t, "$3", d.Placeholder(3))
}
