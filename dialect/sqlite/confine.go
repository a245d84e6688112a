package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

var _ dialect.Confinement = (*Dialect)(nil)

// MayLeave reports whether stmt is an ATTACH: SQLite's only way for a
// statement to reach another database file (it cannot run inside a
// transaction, so only a herd:no-transaction migration gets that far).
func (d *Dialect) MayLeave(stmt string) bool {
	w := sqlsplit.Leading(stmt, sqlsplit.SQLite, 1)
	return len(w) == 0 || w[0] == "ATTACH"
}

// Left lists the databases attached to the session besides main and temp.
func (d *Dialect) Left(ctx context.Context, q dialect.RowQuerier, _ *dialect.Database) (string, error) {
	var attached sql.NullString
	err := q.QueryRowContext(ctx,
		"SELECT group_concat(name || ' (' || file || ')', ', ') FROM pragma_database_list WHERE name NOT IN ('main', 'temp')").Scan(&attached)
	if err != nil {
		return "", fmt.Errorf("sqlite: list the session's databases: %w", err)
	}
	if attached.Valid {
		return "the session has attached " + attached.String, nil
	}
	return "", nil
}
