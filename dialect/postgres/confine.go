package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Confinement = (*Dialect)(nil)

// MayLeave is true for every statement: any of them may call a function
// (a default, a trigger, a DO block) that sets search_path for the
// session, so herd checks once before it records a migration.
func (d *Dialect) MayLeave(string) bool { return true }

// openedSearchPath is the custom setting in which GuardSession notes the
// session's search_path: Left compares with it, which is much cheaper
// than reading pg_settings (which builds a row of every setting).
const openedSearchPath = "herd.opened_search_path"

// leftSQL reads the session's search_path, the one GuardSession noted
// (NULL, or "" after a RESET ALL, where there is no note), and the
// schemas the session resolves names in.
const leftSQL = `SELECT pg_catalog.current_setting('search_path'), pg_catalog.current_setting('` + openedSearchPath + `', true),
	pg_catalog.array_to_string(pg_catalog.current_schemas(false), ', ')`

// resetSQL reads the search_path a session was opened with where no note
// says it: the server's, the database's or role's default, or the
// connection's.
const resetSQL = `SELECT reset_val FROM pg_catalog.pg_settings WHERE name = 'search_path'`

// Left compares the session's search_path with the value it was opened
// with (the server's, the database's or role's default, or, with a schema
// per tenant, the tenant's schema, which herd sets at connect), and names
// the schemas it now resolves names in (current_schemas(false)).
func (d *Dialect) Left(ctx context.Context, q dialect.RowQuerier, db *dialect.Database) (string, error) {
	var (
		cur, schemas string
		noted        sql.NullString
	)
	if err := q.QueryRowContext(ctx, leftSQL, d.Unprepared()...).Scan(&cur, &noted, &schemas); err != nil {
		return "", fmt.Errorf("postgres: read the session's search_path: %w", err)
	}
	opened := noted.String
	if opened == "" {
		if err := q.QueryRowContext(ctx, resetSQL, d.Unprepared()...).Scan(&opened); err != nil {
			return "", fmt.Errorf("postgres: read the session's search_path: %w", err)
		}
	}
	if cur == opened {
		return "", nil
	}
	if schemas == "" {
		schemas = "none"
	}
	return fmt.Sprintf("the session's search_path is %q (schemas: %s), not %q as herd opened it in %s", cur, schemas, opened, db.Name), nil
}
