package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Analyzer = (*Dialect)(nil)

// Analyze refreshes the planner's statistics of tables in db with one
// ANALYZE (none when tables is empty: ANALYZE alone would take every
// table of the database).
func (d *Dialect) Analyze(ctx context.Context, db *dialect.Database, tables ...string) error {
	if len(tables) > 0 {
		if _, err := db.DB.ExecContext(ctx, "ANALYZE "+dialect.QualifyList(d, db, tables)); err != nil {
			return fmt.Errorf("postgres: analyze %v: %w", tables, err)
		}
	}
	return nil
}
