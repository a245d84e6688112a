package postgres_test

import (
	"database/sql/driver"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/internal/herdtest"
)

// Left finds a session moved off the search_path herd opened it with,
// whether or not GuardSession noted that path, and whichever way the
// migration moved it; a session put back (RESET ALL, a rolled-back SET
// LOCAL) has not left.
func TestLeft(t *testing.T) {
	t.Parallel()
	d := postgres.New()
	_, db := herdtest.ScratchDatabase(t, d, herdtest.PostgresDSN(t), "herd_left_")
	for _, tt := range []struct {
		name    string
		guarded bool
		move    []string // run in one transaction, in which Left asks
		left    bool
	}{
		{"untouched", true, nil, false},
		{"untouched, unguarded", false, nil, false},
		{"SET", true, []string{"SET search_path = pg_catalog"}, true},
		{"SET, unguarded", false, []string{"SET search_path = pg_catalog"}, true},
		{"SET LOCAL", true, []string{"SET LOCAL search_path = pg_catalog"}, true},
		{"set_config", true, []string{"SELECT pg_catalog.set_config('search_path', '', false)"}, true},
		{"SET, then RESET ALL", true, []string{"SET search_path = pg_catalog", "RESET ALL"}, false},
		{"SET, then SET back", true, []string{"SET search_path = pg_catalog", "SET search_path = DEFAULT"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			conn, err := db.DB.Conn(ctx)
			require.NoError(t, err)
			// A new session each time: one GuardSession noted must not serve
			// an unguarded case.
			defer conn.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // ErrBadConn closes the session
			if tt.guarded {
				require.NoError(t, d.GuardSession(ctx, conn, time.Second))
			}
			tx, err := conn.BeginTx(ctx, nil)
			require.NoError(t, err)
			defer tx.Rollback() //nolint:errcheck // the test's end
			for _, stmt := range tt.move {
				_, err := tx.ExecContext(ctx, stmt)
				require.NoError(t, err, stmt)
			}
			where, err := d.Left(ctx, tx, db)
			require.NoError(t, err)
			if tt.left {
				require.Contains(t, where, "not ")
			} else {
				require.Empty(t, where)
			}
		})
	}
}
