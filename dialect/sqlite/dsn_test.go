package sqlite

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDSN(t *testing.T) {
	t.Parallel()
	path, params, err := parseDSN("sqlite:./herd-data/control.db?_pragma=synchronous(NORMAL)")
	require.NoError(t, err)
	require.Equal(t, "./herd-data/control.db", path)
	require.Equal(t, "_pragma=synchronous(NORMAL)", params)

	for _, dsn := range []string{"", "sqlite:", "sqlite://x", "postgres://u:p@h/db", "sqlite:x?%zz"} {
		_, _, err := parseDSN(dsn)
		require.Error(t, err, dsn)
	}
}

func TestFileURI(t *testing.T) {
	t.Parallel()
	require.Equal(t, "file:/tmp/a%3fb%23c%25d.db", fileURI("/tmp/a?b#c%d.db"))
	require.Equal(t, "file:data/x.db", fileURI("./data/x.db"))
}
