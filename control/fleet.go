package control

import (
	"context"
	"fmt"
)

// FleetID returns the identity of the fleet whose control database this
// is: made once with the control database, it is recorded in every tenant
// database the fleet writes to, so that another fleet (another
// environment's control database over the same servers) refuses to write
// to them.
func (s *Store) FleetID(ctx context.Context) (string, error) {
	var id string
	if err := s.db.DB.QueryRowContext(ctx, `SELECT fleet_id FROM herd_fleet WHERE id = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("control: read the fleet's identity: %w", err)
	}
	return id, nil
}
