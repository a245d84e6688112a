package mysql

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.RowRewriters = (*Dialect)(nil)

// RewritingTables lists db's tables with triggers or ON UPDATE columns.
func (d *Dialect) RewritingTables(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]string, error) {
	tables, err := dialect.QueryStrings(ctx, q, `SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
UNION SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND EXTRA LIKE '%on update%'
ORDER BY 1`, db.Name, db.Name)
	if err != nil {
		return nil, fmt.Errorf("mysql: list the tables of %s with triggers or ON UPDATE columns: %w", db.Name, err)
	}
	return tables, nil
}
