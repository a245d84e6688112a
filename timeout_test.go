package herd_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/internal/herdtest"
)

// A migration that outlives its deadline stops on the server too: on
// MySQL/MariaDB the running statement is killed (cancelling the client
// alone would leave it running), elsewhere cancelling does it.
func TestTimeoutStopsTheStatementOnTheServer(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		src := brokenThirdWithout002()
		slow := map[string]string{
			"sqlite":   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT COUNT(*) FROM c",
			"postgres": "SELECT pg_sleep(30)",
			"mysql":    "SELECT SLEEP(30)",
		}[e.Name]
		src["tenant/v1.1.0/002_slow.up.sql"] = file("CREATE TABLE before_slow (id INT);\n" + slow + ";\n")
		src["tenant/v1.1.0/002_slow.down.sql"] = file("SELECT 1;\nDROP TABLE before_slow;\n")
		b := setup(t, e, src)
		b.addTenant("alpha")
		require.NoError(t, b.fleet.Migrate(b.ctx, control.TenantRef("alpha"), "1.0.0"))

		ctx, cancel := context.WithTimeout(b.ctx, 1500*time.Millisecond)
		defer cancel()
		err := b.fleet.Migrate(ctx, control.TenantRef("alpha"), "1.1.0")
		require.ErrorIs(t, err, context.DeadlineExceeded)

		if e.Name != "mysql" {
			return
		}
		db, _, err := b.fleet.OpenTenant(b.ctx, "alpha")
		require.NoError(t, err)
		defer db.Close()
		var running int
		require.NoError(t, db.DB.QueryRowContext(b.ctx,
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'").Scan(&running))
		require.Zero(t, running, "the timed-out statement still runs on the server")
	})
}
