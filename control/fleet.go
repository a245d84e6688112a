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
func (r *Reader) FleetID(ctx context.Context) (string, error) {
	var id string
	if err := r.db.DB.QueryRowContext(ctx, r.q.fleetID).Scan(&id); err != nil {
		return "", fmt.Errorf("control: read the fleet's identity: %w", err)
	}
	return id, nil
}
