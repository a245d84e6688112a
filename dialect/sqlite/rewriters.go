package sqlite

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.RowRewriters = (*Dialect)(nil)

// RewritingTables lists db's tables with triggers.
func (d *Dialect) RewritingTables(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]string, error) {
	tables, err := dialect.QueryStrings(ctx, q, "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1")
	if err != nil {
		return nil, fmt.Errorf("sqlite: list the tables of %s with triggers: %w", db.Name, err)
	}
	return tables, nil
}
