package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.RowRewriters = (*Dialect)(nil)

// RewritingTables lists the tables of db's schema with triggers of their
// own (not those that enforce foreign keys).
func (d *Dialect) RewritingTables(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]string, error) {
	tables, err := dialect.QueryStrings(ctx, q, `SELECT DISTINCT c.relname FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = $1 ORDER BY 1`, db.Schema)
	if err != nil {
		return nil, fmt.Errorf("postgres: list the tables of %s with triggers: %w", db.Name, err)
	}
	return tables, nil
}
