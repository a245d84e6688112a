package mysql

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// TableExists reports whether table exists in db: in database db.Schema
// when it is set, else in the connection's current database.
func (d *Dialect) TableExists(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?",
		db.Schema, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("mysql: check table %q in %q: %w", table, db.Name, err)
	}
	return n > 0, nil
}
