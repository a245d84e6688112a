package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.CopyLimiter = (*Server)(nil)

// outsideDependencies lists the dependencies of tables, types and
// functions of schema $1 on tables, types and functions of other schemas
// than the system ones.
const outsideDependencies = `WITH objs AS (
    SELECT 'pg_class'::regclass AS classid, oid, relnamespace AS nsp FROM pg_class
    UNION ALL SELECT 'pg_type'::regclass, oid, typnamespace FROM pg_type
    UNION ALL SELECT 'pg_proc'::regclass, oid, pronamespace FROM pg_proc
)
SELECT DISTINCT pg_describe_object(d.classid, d.objid, 0) || ' uses ' || pg_describe_object(d.refclassid, d.refobjid, 0)
FROM pg_depend d
JOIN objs o ON o.classid = d.classid AND o.oid = d.objid
JOIN objs r ON r.classid = d.refclassid AND r.oid = d.refobjid
JOIN pg_namespace n ON n.oid = o.nsp
JOIN pg_namespace rn ON rn.oid = r.nsp
WHERE n.nspname = $1 AND rn.nspname <> $1
  AND rn.nspname NOT IN ('pg_catalog', 'information_schema') AND rn.nspname NOT LIKE 'pg\_toast%'
ORDER BY 1`

// CopyLimits lists, for a schema tenant, what it uses from other schemas:
// its snapshot is renamed in a scratch database that holds none of them.
// A database tenant is copied whole and has no limits.
func (s *Server) CopyLimits(ctx context.Context, name string) ([]string, error) {
	if s.tenancy != dialect.SchemaPerTenant {
		return nil, nil
	}
	uses, err := dialect.QueryStrings(ctx, s.admin, outsideDependencies, name)
	if err != nil {
		return nil, fmt.Errorf("postgres: read what schema %q uses from other schemas on server %q: %w", name, s.name, s.dsn.Scrub(err))
	}
	return uses, nil
}
