package control

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

// RefreshStatistics asks the engine to refresh its planner's statistics
// of the tables the tenant registry's pages read (the tenants, their
// versions, sizes and drift checks), where it keeps them
// (dialect.Analyzer): after many tenants are registered at once, a
// planner still planning for an empty registry scans every tenant for a
// page of them, until the engine refreshes them itself, if it does
// (PostgreSQL's autovacuum may be off).
func (s *Store) RefreshStatistics(ctx context.Context) error {
	a, ok := s.d.(dialect.Analyzer)
	if !ok {
		return nil
	}
	if s.serial {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if err := a.Analyze(ctx, s.db, "herd_tenants", "database_schema_versions", "herd_tenant_sizes", "herd_tenant_drift"); err != nil {
		return fmt.Errorf("control: refresh the tenant registry's statistics: %w", err)
	}
	return nil
}
