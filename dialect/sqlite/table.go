package sqlite

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// TableExists reports whether table exists in db (in the attached schema
// db.Schema when it is set, else in main).
func (d *Dialect) TableExists(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table string) (bool, error) {
	master := "sqlite_master"
	if db.Schema != "" {
		master = d.QuoteIdent(db.Schema) + ".sqlite_master"
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+master+" WHERE type = 'table' AND name = ?", table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("sqlite: check table %q in %q: %w", table, db.Name, err)
	}
	return n > 0, nil
}
