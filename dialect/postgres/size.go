package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Sizer = (*Dialect)(nil)

// tableSizes lists the ordinary tables of a schema (partitions included,
// their partitioned parents left out, so that no row counts twice) with
// the planner's row estimate and the bytes the table takes with its
// indexes and TOAST. reltuples is -1 for a table never analysed or
// vacuumed.
const tableSizes = `SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), true, false
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = COALESCE(NULLIF($1, ''), current_schema())
ORDER BY c.relname`

// TableSizes returns the tables of db's schema with the row estimates of
// their last ANALYZE (or VACUUM) and their bytes, which are exact. A
// table that was never analysed has no estimate: its rows are counted.
func (d *Dialect) TableSizes(ctx context.Context, q dialect.Querier, db *dialect.Database) ([]dialect.TableSize, error) {
	sizes, err := dialect.QueryTableSizes(ctx, q, tableSizes, d.Unprepared(db.Schema)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: measure the tables of %s: %w", db.Name, err)
	}
	for i, t := range sizes {
		if t.Rows >= 0 {
			continue
		}
		n, err := dialect.QueryStrings(ctx, q, "SELECT COUNT(*)::text FROM "+dialect.Qualify(d, db, t.Table), d.Unprepared()...)
		if err == nil {
			sizes[i].Rows, err = strconv.ParseInt(n[0], 10, 64)
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: count the rows of %s.%s, which was never analysed: %w", db.Name, t.Table, err)
		}
		sizes[i].RowsEstimated = false
	}
	return sizes, nil
}
