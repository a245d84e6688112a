package sqlite

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Analyzer = (*Dialect)(nil)

// Analyze refreshes the query planner's statistics (sqlite_stat1) of
// tables in db, one ANALYZE each: SQLite's takes one table.
func (d *Dialect) Analyze(ctx context.Context, db *dialect.Database, tables ...string) error {
	for _, t := range tables {
		if _, err := db.DB.ExecContext(ctx, "ANALYZE "+dialect.Qualify(d, db, t)); err != nil {
			return fmt.Errorf("sqlite: analyze %s: %w", t, err)
		}
	}
	return nil
}
