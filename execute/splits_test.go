package execute

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/dialect/sqlite"
)

func TestSplitsSplitOncePerEngine(t *testing.T) {
	t.Parallel()
	var c Splits
	script := "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n"
	first, err := c.split(sqlite.New(), script)
	require.NoError(t, err)
	require.Len(t, first, 2)
	again, err := c.split(sqlite.New(), script)
	require.NoError(t, err)
	require.Same(t, &first[0], &again[0], "the second split is the remembered one")
	other, err := c.split(mysql.New(), script)
	require.NoError(t, err)
	require.NotSame(t, &first[0], &other[0], "each engine splits by its own rules")

	for range 2 {
		_, err := c.split(sqlite.New(), "SELECT 'unterminated;\n")
		require.ErrorContains(t, err, "line 1", "a failed split is not remembered as a success")
	}
}
