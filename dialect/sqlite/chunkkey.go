package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.KeyInspector = (*Dialect)(nil)

// chunkKeyQuery reads a column's declared type, NOT NULL, whether it is
// the table's only primary key column, and whether a unique index
// without a predicate covers it alone.
const chunkKeyQuery = `SELECT c.type, c."notnull",
    c.pk = 1 AND (SELECT COUNT(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1,
    EXISTS (SELECT 1 FROM pragma_index_list(?1) AS il
        WHERE il."unique" = 1 AND il.partial = 0
          AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1
          AND (SELECT ii.name FROM pragma_index_info(il.name) AS ii) = c.name)
FROM pragma_table_info(?1) AS c WHERE c.name = ?2 COLLATE NOCASE`

// ChunkKey describes column of table in db's main schema. SQLite types
// by affinity: a declared type holding INT is an integer key, one holding
// CHAR, CLOB or TEXT a text key. The sole primary key column is unique,
// and not null when it is the INTEGER PRIMARY KEY (the rowid).
func (d *Dialect) ChunkKey(ctx context.Context, q dialect.RowQuerier, db *dialect.Database, table, column string) (dialect.ChunkKey, error) {
	var k dialect.ChunkKey
	var pk, unique bool
	err := q.QueryRowContext(ctx, chunkKeyQuery, table, column).Scan(&k.Type, &k.NotNull, &pk, &unique)
	if errors.Is(err, sql.ErrNoRows) {
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("sqlite: describe key %s of %s in %q: %w", column, table, db.Name, err)
	}
	k.Found, k.Unique = true, pk || unique
	upper := strings.ToUpper(k.Type)
	switch {
	case strings.Contains(upper, "INT"):
		k.Kind = dialect.KeyInteger
	case strings.Contains(upper, "CHAR"), strings.Contains(upper, "CLOB"), strings.Contains(upper, "TEXT"):
		k.Kind = dialect.KeyText
	}
	k.NotNull = k.NotNull || pk && upper == "INTEGER"
	return k, nil
}
