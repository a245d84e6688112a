package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// TableExists reports whether table exists in db: in schema db.Schema when
// it is set, else wherever the pool's search_path resolves the unqualified
// name, as herd's own queries would.
func (d *Dialect) TableExists(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table string) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", d.Unprepared(dialect.Qualify(d, db, table))...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: check table %q in %q: %w", table, db.Name, err)
	}
	return ok, nil
}
