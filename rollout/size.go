package rollout

import (
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// Classify returns the size class of a tenant by limits, from sizes (the
// control database's record of the tenants' last analyses, by code).
func Classify(sizes map[string]control.Size, limits config.LargeTenants) func(control.Tenant) config.SizeClass {
	return func(t control.Tenant) config.SizeClass {
		sz, ok := sizes[t.Code]
		return limits.Class(sz.Rows, sz.Bytes, ok)
	}
}
