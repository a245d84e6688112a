package control_test

import (
	"testing"

	"github.com/herdhq/herd/control/controltest"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/herdtest"
)

// The control suite passes on every engine: SQLite always, PostgreSQL and
// MySQL when their DSNs are set (and always under CI=true).
func TestSuite(t *testing.T) {
	t.Parallel()
	for _, e := range herdtest.Engines() {
		if e.SchemaPerTenant() {
			continue // tenancy does not change the control database
		}
		t.Run(e.Label, func(t *testing.T) {
			t.Parallel()
			controltest.Run(t, dialectOf(e), func(t *testing.T) *dialect.Database { return controlSetup(t, e).db })
		})
	}
}
