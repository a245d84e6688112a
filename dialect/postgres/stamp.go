package postgres

import (
	"context"
	"fmt"

	"github.com/herdhq/herd/dialect"
)

var _ dialect.SchemaStamper = (*Dialect)(nil)

// viewsSQL selects the views of schema $1 as Views describes them.
const viewsSQL = `SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v'`

// stampSQL digests the identity and row version (xmin) of every catalog
// row that describes schema $1 (the schema's own, its relations with
// their columns, defaults, indexes and view rules, its constraints) and
// of every dependency of those on another object (pg_depend), with the
// row version of that object where it is a relation, column, type,
// function, collation or schema. DDL writes new versions of the rows it
// changes (a column's type, a rename, a default), adds rows or removes
// them, so the digest changes with anything Tables and Views render from
// these catalogs, including the names of what they refer to. Built-in
// objects are pinned: no dependency on them is recorded, and they do not
// change. Row versions are kept when a catalog is vacuumed or frozen.
var stampSQL = `SELECT md5(COALESCE(string_agg(v, ',' ORDER BY v), '')) FROM (
	SELECT 'n' || n.oid || ':' || n.xmin AS v FROM pg_catalog.pg_namespace n WHERE n.nspname = $1
	UNION ALL SELECT 'c' || c.oid || ':' || c.xmin FROM pg_catalog.pg_class c WHERE c.relnamespace = ` + nsOID + `
	UNION ALL SELECT 'a' || a.attrelid || '.' || a.attnum || ':' || a.xmin FROM pg_catalog.pg_attribute a
		WHERE a.attrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = ` + nsOID + `)
	UNION ALL SELECT 'd' || d.oid || ':' || d.xmin FROM pg_catalog.pg_attrdef d
		WHERE d.adrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = ` + nsOID + `)
	UNION ALL SELECT 'k' || k.oid || ':' || k.xmin FROM pg_catalog.pg_constraint k WHERE k.connamespace = ` + nsOID + `
	UNION ALL SELECT 'i' || i.indexrelid || ':' || i.xmin FROM pg_catalog.pg_index i
		WHERE i.indrelid IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = ` + nsOID + `)
	UNION ALL SELECT 'r' || r.oid || ':' || r.xmin FROM pg_catalog.pg_rewrite r
		WHERE r.ev_class IN (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = ` + nsOID + `)
	UNION ALL SELECT 'p' || dep.classid || '.' || dep.objid || '.' || dep.objsubid || '>' || dep.refclassid || '.' ||
		dep.refobjid || '.' || dep.refobjsubid || dep.deptype::text || ':' || COALESCE(CASE dep.refclassid
		WHEN 'pg_catalog.pg_class'::regclass THEN (SELECT x.xmin::text FROM pg_catalog.pg_class x WHERE x.oid = dep.refobjid) ||
			COALESCE('.' || (SELECT x.xmin::text FROM pg_catalog.pg_attribute x WHERE x.attrelid = dep.refobjid AND x.attnum = dep.refobjsubid), '')
		WHEN 'pg_catalog.pg_type'::regclass THEN (SELECT x.xmin::text FROM pg_catalog.pg_type x WHERE x.oid = dep.refobjid)
		WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT x.xmin::text FROM pg_catalog.pg_proc x WHERE x.oid = dep.refobjid)
		WHEN 'pg_catalog.pg_collation'::regclass THEN (SELECT x.xmin::text FROM pg_catalog.pg_collation x WHERE x.oid = dep.refobjid)
		WHEN 'pg_catalog.pg_namespace'::regclass THEN (SELECT x.xmin::text FROM pg_catalog.pg_namespace x WHERE x.oid = dep.refobjid)
		END, '')
	FROM pg_catalog.pg_depend dep WHERE dep.objid IN (
		SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = ` + nsOID + `
		UNION ALL SELECT d.oid FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid WHERE c.relnamespace = ` + nsOID + `
		UNION ALL SELECT oid FROM pg_catalog.pg_constraint WHERE connamespace = ` + nsOID + `
		UNION ALL SELECT r.oid FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = ` + nsOID + `)
) AS s`

// SchemaStamp is a digest of the row versions of the catalog rows that
// describe schema db.Schema (the connection's current schema when it is
// ""), in one query (see stampSQL).
func (d *Dialect) SchemaStamp(ctx context.Context, q dialect.Queryer, db *dialect.Database) (string, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return "", err
	}
	var stamp string
	if err := q.QueryRowContext(ctx, stampSQL, unprepared(schema)...).Scan(&stamp); err != nil {
		return "", fmt.Errorf("postgres: stamp the schema of %q: %w", db.Name, err)
	}
	return stamp, nil
}
