package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/inspect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Inspector = (*Dialect)(nil)

// autoincrement finds the AUTOINCREMENT keyword in a table's definition.
var autoincrement = regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`)

// Tables describes the tables of db (of the attached schema db.Schema when
// it is set, else of main), from sqlite_schema and the table_xinfo,
// index_list, index_xinfo and foreign_key_list pragmas. SQLite's internal
// tables (sqlite_%) are left out. Column types and defaults are as
// declared; check constraints are read from the table's definition, with
// their expressions as written.
func (d *Dialect) Tables(ctx context.Context, db *dialect.Database) ([]dialect.Table, error) {
	schema := db.Schema
	if schema == "" {
		schema = "main"
	}
	tables, err := d.tables(ctx, db.DB, schema)
	if err != nil {
		return nil, fmt.Errorf("sqlite: inspect %q: %w", db.Name, err)
	}
	return tables, nil
}

func (d *Dialect) tables(ctx context.Context, db *sql.DB, schema string) ([]dialect.Table, error) {
	type table struct{ name, sql string }
	var list []table
	err := snapcopy.Each(ctx, db, "SELECT name, COALESCE(sql, '') FROM "+d.QuoteIdent(schema)+".sqlite_schema "+
		`WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`, nil,
		func(r *sql.Rows) error {
			var t table
			if err := r.Scan(&t.name, &t.sql); err != nil {
				return err
			}
			list = append(list, t)
			return nil
		})
	if err != nil {
		return nil, err
	}
	var b inspect.Builder
	for _, t := range list {
		b.Table(t.name)
		if err := d.columns(ctx, db, schema, t.name, autoincrement.MatchString(t.sql), &b); err != nil {
			return nil, fmt.Errorf("table %q: %w", t.name, err)
		}
		if err := d.indexes(ctx, db, schema, t.name, &b); err != nil {
			return nil, fmt.Errorf("table %q: %w", t.name, err)
		}
		for _, c := range checks(t.sql) {
			b.Check(t.name, c.Name, c.Expr)
		}
		err := snapcopy.Each(ctx, db, `SELECT id, "table", "from", COALESCE("to", ''), on_update, on_delete `+
			"FROM pragma_foreign_key_list(?, ?) ORDER BY id, seq", []any{t.name, schema},
			func(r *sql.Rows) error {
				var (
					id                           int
					ref, from, to, upd, onDelete string
				)
				if err := r.Scan(&id, &ref, &from, &to, &upd, &onDelete); err != nil {
					return err
				}
				b.ForeignKeyPart(t.name, strconv.Itoa(id), "", from, ref, to, upd, onDelete)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("table %q: foreign keys: %w", t.name, err)
		}
	}
	return b.Tables(), nil
}

// columns adds table's columns and primary key to b. With autoinc (the
// table is declared with AUTOINCREMENT), its single key column is reported
// as generated "autoincrement".
func (d *Dialect) columns(ctx context.Context, db *sql.DB, schema, table string, autoinc bool, b *inspect.Builder) error {
	var (
		cols []dialect.Column
		pk   = map[int]string{} // position in the key → column
	)
	err := snapcopy.Each(ctx, db, `SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?, ?) ORDER BY cid`,
		[]any{table, schema}, func(r *sql.Rows) error {
			var (
				c           dialect.Column
				notNull     bool
				def         sql.NullString
				pkN, hidden int
			)
			if err := r.Scan(&c.Name, &c.Type, &notNull, &def, &pkN, &hidden); err != nil {
				return err
			}
			c.Nullable = !notNull
			c.HasDefault, c.Default = def.Valid, def.String
			switch hidden {
			case 2:
				c.Generated = "virtual generated"
			case 3:
				c.Generated = "stored generated"
			}
			if pkN > 0 {
				pk[pkN] = c.Name
			}
			cols = append(cols, c)
			return nil
		})
	if err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	for _, c := range cols {
		if autoinc && len(pk) == 1 && pk[1] == c.Name {
			c.Generated = "autoincrement"
		}
		b.Column(table, c)
	}
	for n := 1; n <= len(pk); n++ {
		b.PrimaryKey(table, pk[n])
	}
	return nil
}

func (d *Dialect) indexes(ctx context.Context, db *sql.DB, schema, table string, b *inspect.Builder) error {
	type index struct {
		name, def string
		unique    bool
	}
	var list []index
	err := snapcopy.Each(ctx, db, "SELECT l.name, l.\"unique\", COALESCE(m.sql, '') FROM pragma_index_list(?, ?) AS l "+
		"LEFT JOIN "+d.QuoteIdent(schema)+".sqlite_schema AS m ON m.type = 'index' AND m.name = l.name "+
		"WHERE l.origin <> 'pk' ORDER BY l.name", []any{table, schema}, func(r *sql.Rows) error {
		var i index
		if err := r.Scan(&i.name, &i.unique, &i.def); err != nil {
			return err
		}
		list = append(list, i)
		return nil
	})
	if err != nil {
		return fmt.Errorf("indexes: %w", err)
	}
	for _, i := range list {
		err := snapcopy.Each(ctx, db, "SELECT COALESCE(name, '(expression)'), \"desc\", coll FROM pragma_index_xinfo(?, ?) WHERE key = 1 ORDER BY seqno",
			[]any{i.name, schema}, func(r *sql.Rows) error {
				var (
					part, coll string
					desc       bool
				)
				if err := r.Scan(&part, &desc, &coll); err != nil {
					return err
				}
				if coll != "BINARY" {
					part += " COLLATE " + coll
				}
				if desc {
					part += " DESC"
				}
				b.IndexPart(table, i.name, i.unique, part, i.def)
				return nil
			})
		if err != nil {
			return fmt.Errorf("index %q: %w", i.name, err)
		}
	}
	return nil
}

// Views describes the views of db (of the attached schema db.Schema when
// it is set, else of main), each as its CREATE VIEW statement was written.
func (d *Dialect) Views(ctx context.Context, db *dialect.Database) ([]dialect.View, error) {
	schema := db.Schema
	if schema == "" {
		schema = "main"
	}
	views, err := inspect.Views(ctx, db.DB, "SELECT name, COALESCE(sql, '') FROM "+d.QuoteIdent(schema)+".sqlite_schema WHERE type = 'view'", nil, "")
	if err != nil {
		return nil, fmt.Errorf("sqlite: inspect %q: %w", db.Name, err)
	}
	return views, nil
}
