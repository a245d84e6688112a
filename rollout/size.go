package rollout

import (
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// Classify returns the size class of a tenant by limits, from the last
// analysis its registry row carries (control.Tenant.Size).
func Classify(limits config.LargeTenants) func(control.Tenant) config.SizeClass {
	return func(t control.Tenant) config.SizeClass {
		if t.Size == nil {
			return config.SizeUnknown
		}
		return limits.Class(t.Size.Rows, t.Size.Bytes, true)
	}
}
