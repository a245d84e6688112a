package herd

import (
	"context"

	"github.com/herdhq/herd/control"
)

// Overview is the fleet at a glance: how many registered tenants there
// are, by current version, by status and by server.
type Overview struct {
	Tenants int `json:"tenants"`
	// ByVersion counts the tenants by current schema version; "" is
	// never migrated.
	ByVersion map[string]int `json:"by_version"`
	// ByStatus counts them by migration status (pending, running,
	// completed, failed).
	ByStatus map[string]int `json:"by_status"`
	// ByServer counts them by the server that holds their database.
	ByServer map[string]int `json:"by_server"`
	// Groups are the counts by all three at once, by version, status
	// and server.
	Groups []TenantGroup `json:"groups"`
}

// TenantGroup is how many tenants share a current version, a status and
// a server.
type TenantGroup struct {
	Version string `json:"version"`
	Status  string `json:"status"`
	Server  string `json:"server"`
	Tenants int    `json:"tenants"`
}

// Overview counts the registered tenants by version, status and server
// in one grouped read of the control database, whatever the fleet's size;
// a tenant never migrated is pending at version "".
func (f *Fleet) Overview(ctx context.Context) (Overview, error) {
	counts, err := f.control.FleetCounts(ctx)
	if err != nil {
		return Overview{}, err
	}
	o := Overview{ByVersion: map[string]int{}, ByStatus: map[string]int{}, ByServer: map[string]int{},
		Groups: make([]TenantGroup, 0, len(counts))}
	for _, st := range control.Statuses() {
		o.ByStatus[string(st)] = 0
	}
	for _, c := range counts {
		o.Tenants += c.Tenants
		o.ByVersion[c.Version] += c.Tenants
		o.ByStatus[string(c.Status)] += c.Tenants
		o.ByServer[c.Server] += c.Tenants
		o.Groups = append(o.Groups, TenantGroup{Version: c.Version, Status: string(c.Status), Server: c.Server, Tenants: c.Tenants})
	}
	return o, nil
}
