package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/sqlsplit"
)

var _ dialect.Confinement = (*Dialect)(nil)

// MayLeave reports whether stmt is a USE, or a DROP DATABASE or SCHEMA
// (dropping the session's own database leaves it in none), or holds an
// executable comment, which may be either. Nothing else moves a MySQL
// session: a routine runs in its own database and puts the session's back
// when it returns, and USE cannot be prepared.
func (d *Dialect) MayLeave(stmt string) bool {
	if strings.Contains(stmt, "/*!") || strings.Contains(stmt, "/*M!") {
		return true
	}
	w := sqlsplit.Leading(stmt, sqlsplit.MySQL, 2)
	switch {
	case len(w) == 0:
		return true // unreadable: look
	case w[0] == "USE":
		return true
	case w[0] == "DROP" && len(w) == 2:
		return w[1] == "DATABASE" || w[1] == "SCHEMA"
	}
	return false
}

// Left compares DATABASE() with db's name.
func (d *Dialect) Left(ctx context.Context, q dialect.RowQuerier, db *dialect.Database) (string, error) {
	var cur sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&cur); err != nil {
		return "", fmt.Errorf("mysql: read the session's database: %w", err)
	}
	switch {
	case !cur.Valid:
		return fmt.Sprintf("the session is in no database, not in %s", quoteIdent(db.Name)), nil
	case cur.String != db.Name:
		return fmt.Sprintf("the session is in database %s, not in %s", quoteIdent(cur.String), quoteIdent(db.Name)), nil
	}
	return "", nil
}
