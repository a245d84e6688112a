package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Analyzer = (*Dialect)(nil)

// Analyze refreshes the planner's statistics of tables in db with one
// ANALYZE.
func (d *Dialect) Analyze(ctx context.Context, db *dialect.Database, tables ...string) error {
	if len(tables) == 0 {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = dialect.Qualify(d, db, t)
	}
	if _, err := db.DB.ExecContext(ctx, "ANALYZE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("postgres: analyze %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}
