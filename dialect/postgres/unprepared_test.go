package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/internal/herdtest"
)

// herd's own queries on a tenant run unprepared; a tenant's pool otherwise
// keeps pgx's default, so that Go migrations and applications get the
// parameter types the server describes (a map as jsonb, say).
func TestUnpreparedLeavesThePoolAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := postgres.New()
	_, db := herdtest.ScratchDatabase(t, d, herdtest.PostgresDSN(t), "herd_unprepared_")
	conn, err := db.DB.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	prepared := func() int {
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements", dialect.OneShot(d)...).Scan(&n))
		return n
	}

	var sum int64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT $1::bigint + 1", dialect.OneShot(d, int64(41))...).Scan(&sum))
	require.Equal(t, int64(42), sum)
	require.Zero(t, prepared(), "a one-shot query prepares nothing")

	var a string
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT $1::jsonb ->> 'a'", map[string]any{"a": "x"}).Scan(&a))
	require.Equal(t, "x", a)
	require.Equal(t, 1, prepared(), "other queries are prepared and cached, as pgx does by default")
}
