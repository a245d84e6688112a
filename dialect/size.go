package dialect

import "context"

// TableSize is how big one table of a database is, as a Sizer measured
// it.
type TableSize struct {
	// Table is the table's name, unqualified.
	Table string
	// Rows is the number of rows; Bytes, the space the table takes with
	// its indexes (and, where the engine keeps them apart, its TOAST or
	// overflow pages).
	Rows, Bytes int64
	// RowsEstimated and BytesEstimated say that the figure comes from the
	// engine's statistics, as of their last refresh (ANALYZE), rather than
	// from counting.
	RowsEstimated, BytesEstimated bool
}

// Sizer is an optional capability: engines that can tell how many rows
// and bytes each table of a database holds, from their catalog where it
// keeps such statistics, without reading the tables.
type Sizer interface {
	// TableSizes returns the size of each table of db (in db.Schema when
	// it is set), herd's own included, ordered by name, asking through q:
	// db.DB, or a connection pinned from it.
	TableSizes(ctx context.Context, q Querier, db *Database) ([]TableSize, error)
}

// QueryTableSizes runs query through q and reads its rows as table
// sizes: each row holds a table's name, rows, bytes, and whether each of
// the two figures is an estimate, in that order. It is for dialect
// implementations.
func QueryTableSizes(ctx context.Context, q Querier, query string, args ...any) ([]TableSize, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TableSize
	for rows.Next() {
		var t TableSize
		if err := rows.Scan(&t.Table, &t.Rows, &t.Bytes, &t.RowsEstimated, &t.BytesEstimated); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
