package mysql_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/internal/herdtest"
)

// TestCheckpoint dirties pages, then checks that Checkpoint returns only
// once InnoDB's checkpoint has passed them, and puts the flushing setting
// back as it found it.
func TestCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, db := herdtest.ScratchDatabase(t, mysql.New(), herdtest.MySQLDSN(t), "ckpt")

	_, err := db.DB.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200))")
	require.NoError(t, err)
	for i := range 200 {
		_, err := db.DB.ExecContext(ctx, "INSERT INTO t VALUES (?, ?)", i, fmt.Sprintf("%0200d", i))
		require.NoError(t, err)
	}
	before := status(t, db.DB, "Innodb_lsn_current")
	pct := setting(t, db.DB)

	require.NoError(t, srv.(interface{ Checkpoint(context.Context) error }).Checkpoint(ctx))
	require.GreaterOrEqual(t, status(t, db.DB, "Innodb_lsn_last_checkpoint"), before,
		"the checkpoint has passed the log written before the call")
	require.Equal(t, pct, setting(t, db.DB), "innodb_max_dirty_pages_pct is put back")
}

// setting reads innodb_max_dirty_pages_pct while holding the lock every
// Checkpoint takes, so that a checkpoint another test (the bench's) runs
// on the same server meanwhile is not caught with the setting at 0.
func setting(t *testing.T, db *sql.DB) float64 {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	var got int
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT GET_LOCK('herd:checkpoint', 60)").Scan(&got))
	require.Equal(t, 1, got, "the checkpoint lock")
	defer conn.ExecContext(ctx, "SELECT RELEASE_LOCK('herd:checkpoint')") //nolint:errcheck // closing the connection releases it too
	var pct float64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT @@GLOBAL.innodb_max_dirty_pages_pct").Scan(&pct))
	return pct
}

func status(t *testing.T, db *sql.DB, name string) uint64 {
	t.Helper()
	var got string
	var v uint64
	require.NoError(t, db.QueryRow("SHOW GLOBAL STATUS LIKE '"+name+"'").Scan(&got, &v))
	return v
}
