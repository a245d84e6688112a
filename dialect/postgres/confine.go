package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.Confinement = (*Dialect)(nil)

// MayLeave is true for every statement: any of them may call a function
// (a default, a trigger, a DO block) that sets search_path for the
// session, so herd checks once before it records a migration.
func (d *Dialect) MayLeave(string) bool { return true }

// Left compares the session's search_path with the value it was opened
// with (the server's, the database's or role's default, or, with a schema
// per tenant, the tenant's schema, which herd sets at connect), and names
// the schemas it now resolves names in (current_schemas(false)).
func (d *Dialect) Left(ctx context.Context, q dialect.RowQuerier, db *dialect.Database) (string, error) {
	var cur, opened, schemas string
	err := q.QueryRowContext(ctx, `SELECT current_setting('search_path'), reset_val, array_to_string(current_schemas(false), ', ')
FROM pg_catalog.pg_settings WHERE name = 'search_path'`, d.Unprepared()...).Scan(&cur, &opened, &schemas)
	if err != nil {
		return "", fmt.Errorf("postgres: read the session's search_path: %w", err)
	}
	if cur == opened {
		return "", nil
	}
	if schemas == "" {
		schemas = "none"
	}
	return fmt.Sprintf("the session's search_path is %q (schemas: %s), not %q as herd opened it in %s", cur, schemas, opened, db.Name), nil
}
