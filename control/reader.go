package control

import (
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
}

// newReader looks up d's control queries.
func newReader(d dialect.Dialect, db *dialect.Database) (*Reader, error) {
	q, err := loadQueries(d.Name(), d.ControlQueries())
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	return &Reader{d: d, db: db, q: q}, nil
}
