package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.KeyInspector = (*Dialect)(nil)

// chunkKeyQuery reads a column's type, its category, NOT NULL, and
// whether a unique index (the primary key's too) without a predicate or
// expression has it as its only key column.
const chunkKeyQuery = `SELECT t.typname, t.typcategory, a.attnotnull,
    EXISTS (SELECT 1 FROM pg_index i
        WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
          AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL)
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.oid = to_regclass($1)`

// ChunkKey describes column of table, resolved as TableExists resolves
// it. smallint, integer and bigint are integer keys; the string types
// (text, varchar, char) text keys.
func (d *Dialect) ChunkKey(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table, column string) (dialect.ChunkKey, error) {
	var k dialect.ChunkKey
	var category string
	err := q.QueryRowContext(ctx, chunkKeyQuery, d.Unprepared(dialect.Qualify(d, db, table), column)...).
		Scan(&k.Type, &category, &k.NotNull, &k.Unique)
	if errors.Is(err, sql.ErrNoRows) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("postgres: describe key %s of %s in %q: %w", column, table, db.Name, err)
	}
	k.Found = true
	switch {
	case k.Type == "int2" || k.Type == "int4" || k.Type == "int8":
		k.Kind = dialect.KeyInteger
	case category == "S":
		k.Kind = dialect.KeyText
	}
	return k, nil
}
