package mysql

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Sizer = (*Dialect)(nil)

// tableSizes lists the base tables (MariaDB's system-versioned ones
// included) of a database from
// information_schema.TABLES: InnoDB's rows and bytes there are the
// statistics of its last ANALYZE TABLE (or automatic recalculation),
// estimates; MyISAM and Aria keep exact ones.
const tableSizes = `SELECT TABLE_NAME, COALESCE(TABLE_ROWS, 0), COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0),
    COALESCE(ENGINE, '') NOT IN ('MyISAM', 'Aria'), COALESCE(ENGINE, '') NOT IN ('MyISAM', 'Aria')
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
ORDER BY TABLE_NAME`

// TableSizes returns the tables of db with the rows and bytes
// information_schema.TABLES reports for them.
func (d *Dialect) TableSizes(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]dialect.TableSize, error) {
	sizes, err := dialect.QueryTableSizes(ctx, q, tableSizes, db.Schema)
	if err != nil {
		return nil, fmt.Errorf("mysql: measure the tables of %s: %w", db.Name, err)
	}
	return sizes, nil
}
