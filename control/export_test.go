package control

import (
	"context"
	"database/sql"
)

// InGroupTx exposes inGroupTx to the package's external tests.
func (s *Store) InGroupTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.inGroupTx(ctx, fn)
}
