package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/inspect"
)

var _ dialect.Inspector = (*Dialect)(nil)

// actions names pg_constraint's referential action codes.
var actions = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

// casts matches the casts PostgreSQL adds when it renders an expression:
// ::type, with a multi-word type name, a modifier and array brackets.
var casts = regexp.MustCompile(`::(?:character varying|bit varying|double precision|` +
	`(?:timestamp|time)(?:\(\d+\))? with(?:out)? time zone|"(?:[^"]|"")*"|[\w.]+)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*`)

// normaliseExpr reduces an expression rendered by the server to a form
// that does not change when the expression is created again from that
// rendering: PostgreSQL re-renders a re-created check such as
// status IN ('a', 'b') on a varchar column with other casts (the array's
// elements cast instead of the array) and parentheses. It drops every cast
// and parenthesis, keeping names, operators and constants.
func normaliseExpr(expr string) string {
	expr = casts.ReplaceAllString(expr, "")
	expr = strings.NewReplacer("(", "", ")", "").Replace(expr)
	return strings.Join(strings.Fields(expr), " ")
}

// Tables describes the ordinary tables of schema db.Schema (of the
// connection's current schema when it is ""), from the system catalogs.
// Types are format_type's, with a COLLATE clause when a column's collation
// is not its type's; defaults, index definitions and check constraints are
// rendered by the server under db's search_path, so that names inside the
// tenant's schema are unqualified. Identity and generated columns are
// reported in Column.Generated. Check constraints, index definitions and
// generation expressions are compared by normaliseExpr's form, without
// casts and parentheses, since PostgreSQL renders a copy of one
// differently from its original.
func (d *Dialect) Tables(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.Table, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return nil, err
	}
	tables, err := readTables(ctx, q, schema)
	if err != nil {
		return nil, fmt.Errorf("postgres: inspect %q: %w", db.Name, err)
	}
	var b inspect.Builder
	for _, t := range tables {
		b.Table(t.name)
		for _, c := range t.columns {
			col := dialect.Column{Name: c.name, Type: c.typ, Nullable: !c.notNull, HasDefault: c.def != "", Default: c.def}
			if c.collation != "" {
				col.Type += " COLLATE " + c.collation
			}
			switch {
			case c.generated == "s":
				col.HasDefault, col.Default = false, ""
				col.Generated = "stored generated: " + normaliseExpr(c.def)
			case c.identity == "a":
				col.Generated = "identity always"
			case c.identity == "d":
				col.Generated = "identity by default"
			}
			b.Column(t.name, col)
		}
		for _, con := range t.constraints {
			switch con.kind {
			case "p":
				for _, c := range con.columns {
					b.PrimaryKey(t.name, c)
				}
			case "c":
				b.Check(t.name, con.name, normaliseExpr(con.def))
			}
		}
		for _, i := range t.indexes {
			for _, part := range i.parts {
				b.IndexPart(t.name, i.name, i.unique, part, normaliseExpr(i.def))
			}
		}
		for _, fk := range t.foreignKeys {
			for k := range fk.columns {
				ref := ""
				if k < len(fk.refColumns) {
					ref = fk.refColumns[k]
				}
				b.ForeignKeyPart(t.name, fk.name, fk.name, fk.columns[k], fk.refTable, ref, actions[fk.onUpdate], actions[fk.onDelete])
			}
		}
	}
	return b.Tables(), nil
}

// Views describes the views of schema db.Schema (of the connection's
// current schema when it is ""), each as pg_get_viewdef renders it under
// db's search_path, without the schema's own name.
func (d *Dialect) Views(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.View, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return nil, err
	}
	views, err := inspect.Views(ctx, q, `SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v'`, unprepared(schema), schema+".")
	if err != nil {
		return nil, fmt.Errorf("postgres: inspect %q: %w", db.Name, err)
	}
	return views, nil
}

// HasTables reports whether schema db.Schema (the connection's current
// schema when it is "") holds a relation of a kind Tables or Views
// describes, or that one could (partitioned and foreign tables,
// materialized views), whose name does not begin with except: one query
// of pg_class, a catalog every session has cached.
func (d *Dialect) HasTables(ctx context.Context, q dialect.Queryer, db *dialect.Database, except string) (bool, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return false, err
	}
	var has bool
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
WHERE c.relnamespace = `+nsOID+` AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT starts_with(c.relname, $2))`,
		unprepared(schema, except)...).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("postgres: inspect %q: %w", db.Name, err)
	}
	return has, nil
}

// schemaOf is the schema db's description reads: db.Schema, or the
// connection's current schema when that is "".
func schemaOf(ctx context.Context, q dialect.RowQuerier, db *dialect.Database) (string, error) {
	if db.Schema != "" {
		return db.Schema, nil
	}
	var schema string
	if err := q.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", fmt.Errorf("postgres: inspect %q: %w", db.Name, err)
	}
	return schema, nil
}
