package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

// The catalog of one schema's tables, as Tables describes them.

type table struct {
	oid      int64
	name     string
	unlogged bool
	options  string // reloptions, "k=v, k=v"
	columns  []column
	// constraints are the primary key, unique, exclusion and check
	// constraints; foreignKeys are added last, after every table's rows.
	constraints []constraint
	foreignKeys []constraint
	// indexes are those no constraint owns, in name order.
	indexes []index
}

type column struct {
	name, typ, collation string
	notNull              bool
	def                  string // DEFAULT expression, or the generated column's
	identity             string // "a" (ALWAYS), "d" (BY DEFAULT) or ""
	generated            string // "s" (STORED) or ""
	// localType is true when the column's type (or its element type) is
	// defined in the schema itself: an enum, say, which a copy into another
	// schema of the same database recreates as a distinct type.
	localType bool
}

type constraint struct {
	name, kind, def    string
	columns            []string
	refTable           string // unquoted; qualified when in another schema
	refColumns         []string
	onUpdate, onDelete string // pg_constraint's action codes
}

type index struct {
	name               string
	unique, constraint bool // constraint: owned by a constraint (not created separately)
	def                string
	parts              []string
}

// nsOID selects the oid of schema $1.
const nsOID = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)"

var tablesSQL = `SELECT c.oid::bigint, c.relname, c.relpersistence = 'u', COALESCE(array_to_string(c.reloptions, ', '), '')
FROM pg_catalog.pg_class c
WHERE c.relkind = 'r' AND c.relnamespace = ` + nsOID + ` AND ` + notExtension("pg_class", "c") + `
ORDER BY c.relname`

var columnsSQL = `SELECT a.attrelid::bigint, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
	COALESCE(pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), ''), a.attidentity::text, a.attgenerated::text,
	CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
		THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END,
	t.typnamespace = c.relnamespace OR EXISTS (SELECT 1 FROM pg_catalog.pg_type et
		WHERE t.typelem <> 0 AND et.oid = t.typelem AND et.typnamespace = c.relnamespace)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE c.relkind = 'r' AND c.relnamespace = ` + nsOID + ` AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

// attnames renders the names of the columns numbered by the array expr of
// table rel as a JSON array, in array order.
func attnames(expr, rel string) string {
	return `COALESCE((SELECT json_agg(a.attname ORDER BY k.n) FROM unnest(` + expr + `) WITH ORDINALITY AS k(attnum, n)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = ` + rel + ` AND a.attnum = k.attnum), '[]')::text`
}

var constraintsSQL = `SELECT con.conrelid::bigint, con.conname, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid),
	` + attnames("con.conkey", "con.conrelid") + `, ` + attnames("con.confkey", "con.confrelid") + `,
	COALESCE(CASE WHEN rc.relnamespace = c.relnamespace THEN rc.relname ELSE rn.nspname || '.' || rc.relname END, ''),
	con.confupdtype::text, con.confdeltype::text
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE c.relkind = 'r' AND c.relnamespace = ` + nsOID + ` AND con.contype IN ('p', 'u', 'x', 'c', 'f')
ORDER BY con.conrelid, con.conname`

var indexesSQL = `SELECT i.indrelid::bigint, ic.relname, i.indisunique, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
	EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid
		AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')),
	COALESCE((SELECT json_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true) ORDER BY k)
		FROM generate_series(1, i.indnkeyatts::int) AS k), '[]')::text,
	i.indisprimary
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
WHERE c.relkind = 'r' AND c.relnamespace = ` + nsOID + `
ORDER BY i.indrelid, ic.relname`

// readTables reads the tables of schema with their columns, constraints
// and indexes. Each query is sent unprepared (see Unprepared): a tenant's
// connection is usually new, so a prepared statement would cost a round
// trip more and never be used again.
func readTables(ctx context.Context, q snapcopy.Querier, schema string) ([]*table, error) {
	args := unprepared(schema)
	var tables []*table
	byOID := map[int64]*table{}
	err := snapcopy.Each(ctx, q, tablesSQL, args, func(r *sql.Rows) error {
		t := &table{}
		if err := r.Scan(&t.oid, &t.name, &t.unlogged, &t.options); err != nil {
			return err
		}
		tables = append(tables, t)
		byOID[t.oid] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	err = snapcopy.Each(ctx, q, columnsSQL, args, func(r *sql.Rows) error {
		var (
			oid int64
			c   column
		)
		if err := r.Scan(&oid, &c.name, &c.typ, &c.notNull, &c.def, &c.identity, &c.generated, &c.collation, &c.localType); err != nil {
			return err
		}
		if t := byOID[oid]; t != nil {
			t.columns = append(t.columns, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	err = snapcopy.Each(ctx, q, constraintsSQL, args, func(r *sql.Rows) error {
		var (
			oid           int64
			c             constraint
			cols, refCols string
		)
		if err := r.Scan(&oid, &c.name, &c.kind, &c.def, &cols, &refCols, &c.refTable, &c.onUpdate, &c.onDelete); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(cols), &c.columns); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(refCols), &c.refColumns); err != nil {
			return err
		}
		t := byOID[oid]
		switch {
		case t == nil:
		case c.kind == "f":
			t.foreignKeys = append(t.foreignKeys, c)
		default:
			t.constraints = append(t.constraints, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	err = snapcopy.Each(ctx, q, indexesSQL, args, func(r *sql.Rows) error {
		var (
			oid     int64
			i       index
			parts   string
			primary bool
		)
		if err := r.Scan(&oid, &i.name, &i.unique, &i.def, &i.constraint, &parts, &primary); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(parts), &i.parts); err != nil {
			return err
		}
		if t := byOID[oid]; t != nil && !primary {
			t.indexes = append(t.indexes, i)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	return tables, nil
}
