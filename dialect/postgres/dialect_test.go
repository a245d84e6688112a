package postgres_test

import (
	"testing"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/dialecttest"
	"github.com/herdhq/herd/dialect/postgres"
	"github.com/herdhq/herd/internal/herdtest"
)

func TestDialect(t *testing.T) {
	t.Parallel()
	dsn := herdtest.PostgresDSN(t)
	for _, tenancy := range []dialect.Tenancy{dialect.DatabasePerTenant, dialect.SchemaPerTenant} {
		t.Run(string(tenancy), func(t *testing.T) {
			t.Parallel()
			dialecttest.Run(t, postgres.New(), dialect.ServerConfig{Name: "pg", DSN: dsn, Tenancy: tenancy})
		})
	}
}
