package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.IndexInspector = (*Dialect)(nil)

// invalidIndexes lists the indexes whose pg_index.indisvalid is false, in
// schema $1, or in every schema but the system ones when $1 is empty.
const invalidIndexes = `SELECT n.nspname, t.relname, i.relname
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = i.relnamespace
WHERE NOT x.indisvalid
  AND CASE WHEN $1 = '' THEN n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
      ELSE n.nspname = $1 END
ORDER BY 1, 2, 3`

// InvalidIndexes returns the indexes of db that a failed CREATE INDEX
// CONCURRENTLY (or REINDEX CONCURRENTLY) left invalid, each with the DROP
// INDEX CONCURRENTLY that removes it.
func (d *Dialect) InvalidIndexes(ctx context.Context, db *dialect.Database) ([]dialect.InvalidIndex, error) {
	rows, err := db.DB.QueryContext(ctx, invalidIndexes, db.Schema)
	if err != nil {
		return nil, fmt.Errorf("postgres: list invalid indexes of %s: %w", db.Name, err)
	}
	defer rows.Close()
	var out []dialect.InvalidIndex
	for rows.Next() {
		var ix dialect.InvalidIndex
		if err := rows.Scan(&ix.Schema, &ix.Table, &ix.Index); err != nil {
			return nil, fmt.Errorf("postgres: list invalid indexes of %s: %w", db.Name, err)
		}
		ix.Drop = fmt.Sprintf("DROP INDEX CONCURRENTLY IF EXISTS %s.%s;", d.QuoteIdent(ix.Schema), d.QuoteIdent(ix.Index))
		out = append(out, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: list invalid indexes of %s: %w", db.Name, err)
	}
	return out, nil
}
