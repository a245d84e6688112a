package control

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// Reader reads the control database: the tenant registry, versions,
// history, rollouts, snapshots, flag overrides and the change counter.
// It never writes. It is safe for concurrent use.
type Reader struct {
	d  dialect.Dialect
	db *dialect.Database
	q  *queries
	// stmts are the prepared forms of the writes made in transactions
	// and of the console's pages.
	stmts *statements
}

// newReader looks up d's control queries.
func newReader(d dialect.Dialect, db *dialect.Database) (*Reader, error) {
	q, err := loadQueries(d.Name(), d.ControlQueries())
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	_, inProcess := d.(dialect.InProcess)
	return &Reader{d: d, db: db, q: q, stmts: &statements{enabled: inProcess}}, nil
}

// byTenant runs query and reads each row with scan, which returns the
// tenant code the row is about with its value; what names the rows in
// errors ("the tenants' sizes").
func byTenant[T any](ctx context.Context, db *sql.DB, query, what string, scan func(*sql.Rows) (string, T, error)) (map[string]T, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("control: read %s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]T{}
	for rows.Next() {
		code, v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("control: read %s: %w", what, err)
		}
		out[code] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("control: read %s: %w", what, err)
	}
	return out, nil
}
