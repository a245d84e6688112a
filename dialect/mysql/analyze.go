package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Analyzer = (*Dialect)(nil)

// Analyze refreshes the optimizer's statistics of tables in db with one
// ANALYZE TABLE, which reports a table it could not analyse as a row
// (Msg_type "error"), not as a failed statement.
func (d *Dialect) Analyze(ctx context.Context, db *dialect.Database, tables ...string) error {
	if len(tables) == 0 {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = dialect.Qualify(d, db, t)
	}
	what := strings.Join(tables, ", ")
	rows, err := db.DB.QueryContext(ctx, "ANALYZE TABLE "+strings.Join(names, ", "))
	if err != nil {
		return fmt.Errorf("mysql: analyze %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, op, kind, msg string
		if err := rows.Scan(&table, &op, &kind, &msg); err != nil {
			return fmt.Errorf("mysql: analyze %s: %w", what, err)
		}
		if strings.EqualFold(kind, "error") {
			return fmt.Errorf("mysql: analyze %s: %s", table, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mysql: analyze %s: %w", what, err)
	}
	return nil
}
