package mysql_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect/mysql"
	"github.com/herdhq/herd/internal/herdtest"
)

// TestInspectQueriesReadOneDatabase checks, by EXPLAIN, that no table of
// the inspector's information_schema queries is read for every database
// on the server: MariaDB says "Scanned all databases" when a join keeps
// it from looking up the schema, and the query then costs tens of
// milliseconds on a server of a hundred tenants instead of one or two.
// MySQL 8 reads information_schema from its data dictionary and never
// says so.
func TestInspectQueriesReadOneDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := herdtest.ScratchDatabase(t, mysql.New(), herdtest.MySQLDSN(t), "insq")
	_, err := db.DB.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v INT CHECK (v > 0))")
	require.NoError(t, err)

	for _, query := range mysql.MariaDBInspectQueries {
		args := make([]any, strings.Count(query, "?"))
		for i := range args {
			args[i] = db.Name
		}
		for _, extra := range explainExtras(t, db.DB, query, args) {
			require.NotContains(t, extra, "Scanned all databases", "EXPLAIN %s", query)
		}
	}
}

// explainExtras returns the Extra column of EXPLAIN query's rows.
func explainExtras(t *testing.T, db *sql.DB, query string, args []any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "EXPLAIN "+query, args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var extras []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		for i, c := range cols {
			if strings.EqualFold(c, "Extra") {
				extras = append(extras, vals[i].String)
			}
		}
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, extras, "EXPLAIN has an Extra column")
	return extras
}
