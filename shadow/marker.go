package shadow

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// MarkerTable is the table, in a shadow, that names the tenant it is the
// shadow of. Remove drops a database by its shadow's name only when it
// holds this mark, so a tenant that happens to bear that name is never
// dropped; StopCapture removes it, as the shadow becomes the tenant.
const MarkerTable = "herd_shadow_of"

// mark records in db that it is tenant's shadow.
func mark(ctx context.Context, d dialect.Dialect, db *dialect.Database, tenant string) error {
	table := dialect.Qualify(d, db, MarkerTable)
	if _, err := db.DB.ExecContext(ctx, "CREATE TABLE "+table+" (tenant VARCHAR(200) NOT NULL PRIMARY KEY)"); err != nil {
		return fmt.Errorf("mark the shadow: %w", err)
	}
	if _, err := db.DB.ExecContext(ctx, dialect.Bind(d, "INSERT INTO "+table+" (tenant) VALUES (?)"), dialect.OneShot(d, tenant)...); err != nil {
		return fmt.Errorf("mark the shadow: %w", err)
	}
	return nil
}

// markedFor reports whether db holds the mark of tenant's shadow.
func markedFor(ctx context.Context, d dialect.Dialect, db *dialect.Database, tenant string) (bool, error) {
	ok, err := d.TableExists(ctx, db.DB, db, MarkerTable)
	if err != nil || !ok {
		return false, err
	}
	var n int
	err = db.DB.QueryRowContext(ctx, dialect.Bind(d, "SELECT COUNT(*) FROM "+dialect.Qualify(d, db, MarkerTable)+" WHERE tenant = ?"),
		dialect.OneShot(d, tenant)...).Scan(&n)
	return n > 0, err
}

// unmark removes the mark from db.
func unmark(ctx context.Context, d dialect.Dialect, db *dialect.Database) error {
	if _, err := db.DB.ExecContext(ctx, "DROP TABLE IF EXISTS "+dialect.Qualify(d, db, MarkerTable)); err != nil {
		return fmt.Errorf("unmark the shadow: %w", err)
	}
	return nil
}
