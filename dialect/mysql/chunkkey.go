package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.KeyInspector = (*Dialect)(nil)

// chunkKeyQuery reads a column's type, whether it is nullable, and
// whether a unique index (PRIMARY too) on the whole column has it as its
// only column. Each information_schema table is filtered by the schema and
// table as constants (the arguments of chunkKeyArgs), never by a
// correlated column: MariaDB then opens that table's definition alone,
// where a correlated filter has it scan every database on the server
// ("Scanned all databases" in EXPLAIN), which a server of a thousand
// tenants pays on every chunked migration.
const chunkKeyQuery = `SELECT c.DATA_TYPE, c.IS_NULLABLE = 'NO',
    EXISTS (SELECT 1 FROM information_schema.STATISTICS s
        WHERE s.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND s.TABLE_NAME = ?
          AND s.COLUMN_NAME = ? AND s.NON_UNIQUE = 0 AND s.SUB_PART IS NULL
          AND NOT EXISTS (SELECT 1 FROM information_schema.STATISTICS o
              WHERE o.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND o.TABLE_NAME = ?
                AND o.INDEX_NAME = s.INDEX_NAME AND o.SEQ_IN_INDEX <> s.SEQ_IN_INDEX))
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND c.TABLE_NAME = ? AND c.COLUMN_NAME = ?`

// chunkKeyArgs are chunkKeyQuery's arguments.
func chunkKeyArgs(schema, table, column string) []any {
	return []any{schema, table, column, schema, table, schema, table, column}
}

// ChunkKey describes column of table in db (database db.Schema when it is
// set, else the connection's). The integer types are integer keys, CHAR
// and VARCHAR text keys.
func (d *Dialect) ChunkKey(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table, column string) (dialect.ChunkKey, error) {
	var k dialect.ChunkKey
	err := q.QueryRowContext(ctx, chunkKeyQuery, chunkKeyArgs(db.Schema, table, column)...).Scan(&k.Type, &k.NotNull, &k.Unique)
	if errors.Is(err, sql.ErrNoRows) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("mysql: describe key %s of %s in %q: %w", column, table, db.Name, err)
	}
	k.Found = true
	switch k.Type {
	case "tinyint", "smallint", "mediumint", "int", "bigint":
		k.Kind = dialect.KeyInteger
	case "char", "varchar":
		k.Kind = dialect.KeyText
	}
	return k, nil
}
