package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

// catalog is what a snapshot copies of one schema, read from the system
// catalogs. Expressions and definitions are rendered by the server
// (format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef,
// pg_get_viewdef) while search_path is the schema alone, so that names
// inside the schema come out unqualified and resolve, when the DDL runs
// under the target's search_path, inside the target.
type catalog struct {
	extensions []extension
	enums      []enum
	sequences  []sequence
	tables     []*table
	views      []view
}

// extension is one of a database's extensions; version is a quoted
// literal.
type extension struct{ name, schema, version string }

// enum is an enum type; its labels are quoted literals, in order.
type enum struct {
	name   string
	labels []string
}

type sequence struct {
	name, typ                         string
	start, increment, min, max, cache int64
	cycle                             bool
	ownedBy                           string // "a": by a serial column; "i": an identity's
	ownerTable, ownerColumn           string
	lastValue                         int64
	isCalled                          bool
}

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

type view struct{ name, def, options string }

// notExtension filters out objects that belong to an extension, whose
// CREATE EXTENSION makes them.
func notExtension(catalog, alias string) string {
	return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '" + catalog + "'::regclass AND e.objid = " +
		alias + ".oid AND e.deptype = 'e')"
}

// nsOID selects the oid of schema $1.
const nsOID = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)"

// unsupportedSQL lists the objects of schema $1 that a snapshot cannot
// copy; $2 is true for database-per-tenant tenancy, where schemas other
// than public are refused, and false for schema-per-tenant, where an
// extension installed in the tenant's schema is.
var unsupportedSQL = `SELECT what FROM (
	SELECT CASE c.relkind WHEN 'm' THEN 'materialized view ' WHEN 'p' THEN 'partitioned table '
		WHEN 'f' THEN 'foreign table ' ELSE 'composite type ' END || quote_ident(c.relname) AS what, 1 AS o
	FROM pg_catalog.pg_class c WHERE c.relnamespace = ` + nsOID + ` AND c.relkind IN ('m', 'p', 'f', 'c') AND ` + notExtension("pg_class", "c") + `
	UNION ALL
	SELECT 'inherited table ' || quote_ident(c.relname), 2 FROM pg_catalog.pg_inherits i
	JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE c.relnamespace = ` + nsOID + `
	UNION ALL
	SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END ||
		quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', 3
	FROM pg_catalog.pg_proc p WHERE p.pronamespace = ` + nsOID + ` AND ` + notExtension("pg_proc", "p") + `
	UNION ALL
	SELECT 'trigger ' || quote_ident(tg.tgname) || ' on ' || quote_ident(c.relname), 4 FROM pg_catalog.pg_trigger tg
	JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid WHERE NOT tg.tgisinternal AND c.relnamespace = ` + nsOID + `
	UNION ALL
	SELECT 'rule ' || quote_ident(r.rulename) || ' on ' || quote_ident(c.relname), 5 FROM pg_catalog.pg_rewrite r
	JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN' AND c.relnamespace = ` + nsOID + `
	UNION ALL
	SELECT 'row security policy ' || quote_ident(pol.polname) || ' on ' || quote_ident(c.relname), 6 FROM pg_catalog.pg_policy pol
	JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = ` + nsOID + `
	UNION ALL
	SELECT CASE t.typtype WHEN 'd' THEN 'domain ' WHEN 'r' THEN 'range type ' ELSE 'type ' END || quote_ident(t.typname), 7
	FROM pg_catalog.pg_type t WHERE t.typnamespace = ` + nsOID + ` AND ` + notExtension("pg_type", "t") + `
		AND (t.typtype IN ('d', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A'))
	UNION ALL
	SELECT 'extension ' || quote_ident(x.extname) || ' (installed in the schema)', 8 FROM pg_catalog.pg_extension x
	WHERE NOT $2 AND x.extnamespace = ` + nsOID + `
	UNION ALL
	SELECT 'schema ' || quote_ident(n.nspname) || ' (only ' || $1 || ' is copied)', 9 FROM pg_catalog.pg_namespace n
	WHERE $2 AND n.nspname <> $1 AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
		AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension x WHERE x.extnamespace = n.oid)
		AND ` + notExtension("pg_namespace", "n") + `
) u ORDER BY o, what`

const extensionsSQL = `SELECT x.extname, n.nspname, quote_literal(x.extversion) FROM pg_catalog.pg_extension x
JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace WHERE x.extname <> 'plpgsql' ORDER BY x.oid`

var enumsSQL = `SELECT t.typname, array_to_json(array_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder))::text
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = ` + nsOID + ` AND ` + notExtension("pg_type", "t") + `
GROUP BY t.oid, t.typname ORDER BY t.typname`

var sequencesSQL = `SELECT c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
	s.seqcache, s.seqcycle, COALESCE(d.deptype::text, ''), COALESCE(tc.relname, ''), COALESCE(a.attname, '')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
	AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid AND tc.relnamespace = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = tc.oid AND a.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND c.relnamespace = ` + nsOID + ` AND ` + notExtension("pg_class", "c") + `
ORDER BY c.relname`

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

var viewsSQL = `SELECT c.relname, pg_catalog.pg_get_viewdef(c.oid), COALESCE(array_to_string(c.reloptions, ', '), '')
FROM pg_catalog.pg_class c
WHERE c.relkind = 'v' AND c.relnamespace = ` + nsOID + ` AND ` + notExtension("pg_class", "c") + `
ORDER BY c.relname`

// checkCopyable fails, naming them, when schema holds objects a snapshot
// cannot copy. wholeDatabase is true when the schema is a tenant
// database's public schema.
func checkCopyable(ctx context.Context, q snapcopy.Querier, schema string, wholeDatabase bool) error {
	var objects []string
	err := snapcopy.Each(ctx, q, unsupportedSQL, []any{schema, wholeDatabase}, func(r *sql.Rows) error {
		var what string
		if err := r.Scan(&what); err != nil {
			return err
		}
		objects = append(objects, what)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list objects: %w", err)
	}
	return snapcopy.Unsupported(objects)
}

// readTables reads the tables of schema with their columns, constraints
// and indexes.
func readTables(ctx context.Context, q snapcopy.Querier, schema string) ([]*table, error) {
	var tables []*table
	byOID := map[int64]*table{}
	err := snapcopy.Each(ctx, q, tablesSQL, []any{schema}, func(r *sql.Rows) error {
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
	err = snapcopy.Each(ctx, q, columnsSQL, []any{schema}, func(r *sql.Rows) error {
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
	err = snapcopy.Each(ctx, q, constraintsSQL, []any{schema}, func(r *sql.Rows) error {
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
	err = snapcopy.Each(ctx, q, indexesSQL, []any{schema}, func(r *sql.Rows) error {
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

// readCatalog reads everything a snapshot copies from schema, and the
// current positions of its sequences. wholeDatabase adds the database's
// extensions.
func readCatalog(ctx context.Context, q snapcopy.Querier, schema string, wholeDatabase bool) (*catalog, error) {
	if err := checkCopyable(ctx, q, schema, wholeDatabase); err != nil {
		return nil, err
	}
	c := &catalog{}
	if wholeDatabase {
		err := snapcopy.Each(ctx, q, extensionsSQL, nil, func(r *sql.Rows) error {
			var x extension
			if err := r.Scan(&x.name, &x.schema, &x.version); err != nil {
				return err
			}
			c.extensions = append(c.extensions, x)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read extensions: %w", err)
		}
	}
	err := snapcopy.Each(ctx, q, enumsSQL, []any{schema}, func(r *sql.Rows) error {
		var (
			e      enum
			labels string
		)
		if err := r.Scan(&e.name, &labels); err != nil {
			return err
		}
		c.enums = append(c.enums, e)
		return json.Unmarshal([]byte(labels), &c.enums[len(c.enums)-1].labels)
	})
	if err != nil {
		return nil, fmt.Errorf("read enum types: %w", err)
	}
	err = snapcopy.Each(ctx, q, sequencesSQL, []any{schema}, func(r *sql.Rows) error {
		var s sequence
		if err := r.Scan(&s.name, &s.typ, &s.start, &s.increment, &s.min, &s.max, &s.cache, &s.cycle,
			&s.ownedBy, &s.ownerTable, &s.ownerColumn); err != nil {
			return err
		}
		c.sequences = append(c.sequences, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read sequences: %w", err)
	}
	// Sequences are not transactional: this is their position now, at or
	// after the snapshot's, so never behind a row the copy holds.
	for i := range c.sequences {
		s := &c.sequences[i]
		err := snapcopy.Each(ctx, q, "SELECT last_value, is_called FROM "+quoteIdent(schema)+"."+quoteIdent(s.name), nil,
			func(r *sql.Rows) error { return r.Scan(&s.lastValue, &s.isCalled) })
		if err != nil {
			return nil, fmt.Errorf("read sequence %q: %w", s.name, err)
		}
	}
	if c.tables, err = readTables(ctx, q, schema); err != nil {
		return nil, err
	}
	err = snapcopy.Each(ctx, q, viewsSQL, []any{schema}, func(r *sql.Rows) error {
		var v view
		if err := r.Scan(&v.name, &v.def, &v.options); err != nil {
			return err
		}
		c.views = append(c.views, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read views: %w", err)
	}
	return c, nil
}

// identityOf returns the sequence of table's identity column, or nil.
func (c *catalog) identityOf(table, column string) *sequence {
	for i := range c.sequences {
		s := &c.sequences[i]
		if s.ownedBy == "i" && s.ownerTable == table && s.ownerColumn == column {
			return s
		}
	}
	return nil
}
