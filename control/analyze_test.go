package control_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/control"
)

// RefreshStatistics leaves the engine's planner with the registry as it
// is: 300 tenants registered at once, counted in the statistics each
// engine keeps of herd_tenants.
func TestRefreshStatistics(t *testing.T) {
	t.Parallel()
	const tenants = 300
	// What each engine's statistics say of herd_tenants: rows counted by
	// the last ANALYZE. (Before it, SQLite has no sqlite_stat1 and
	// PostgreSQL's reltuples is -1 with autovacuum off, as on the test
	// server; MariaDB may recalculate on its own in the background.)
	counted := map[string]string{
		"sqlite":   "SELECT CAST(substr(stat, 1, instr(stat || ' ', ' ') - 1) AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'herd_tenants' LIMIT 1",
		"postgres": "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE relname = 'herd_tenants' AND relkind = 'r'",
		"mysql":    "SELECT n_rows FROM mysql.innodb_table_stats WHERE database_name = DATABASE() AND table_name = 'herd_tenants'",
	}
	forEachControlEngine(t, func(t *testing.T, b *changesBundle) {
		store, err := control.Open(b.ctx, b.d, b.db, nil)
		require.NoError(t, err)
		for i := range tenants {
			code := fmt.Sprintf("t%04d", i)
			require.NoError(t, store.AddTenant(b.ctx, control.Tenant{Code: code, Name: code, Tier: "basic", Server: "main",
				Database: "db_" + code, Tags: []string{}, CreatedAt: time.Now()}))
		}
		require.NoError(t, store.RefreshStatistics(b.ctx))
		var rows int64
		require.NoError(t, b.db.DB.QueryRowContext(b.ctx, counted[b.d.Name()]).Scan(&rows))
		require.Equal(t, int64(tenants), rows)
	})
}
