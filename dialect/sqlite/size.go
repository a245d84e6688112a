package sqlite

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Sizer = (*Dialect)(nil)

// tableSizes measures each table of the main database page by page
// through the dbstat virtual table: its rows are the cells of its own
// b-tree's leaf pages, its bytes those of every page of the table and
// its indexes (overflow pages included). Both are exact.
const tableSizes = `SELECT m.tbl_name,
    SUM(CASE WHEN s.name = m.tbl_name AND s.pagetype = 'leaf' THEN s.ncell ELSE 0 END),
    SUM(s.pgsize), 0, 0
FROM sqlite_master m JOIN dbstat s ON s.name = m.name
WHERE m.tbl_name IN (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\')
GROUP BY m.tbl_name
ORDER BY m.tbl_name`

// TableSizes returns the tables of db with their exact rows and bytes,
// read from its pages (dbstat), which takes time in proportion to the
// database's size.
func (d *Dialect) TableSizes(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]dialect.TableSize, error) {
	sizes, err := dialect.QueryTableSizes(ctx, q, tableSizes)
	if err != nil {
		return nil, fmt.Errorf("sqlite: measure the tables of %s: %w", db.Name, err)
	}
	return sizes, nil
}
