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
func (d *Dialect) Tables(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.Table, error) {
	schema := schemaOf(db)
	tables, err := d.tables(ctx, q, schema)
	if err != nil {
		return nil, fmt.Errorf("sqlite: inspect %q: %w", db.Name, err)
	}
	return tables, nil
}

// tables reads the tables of schema in four queries, however many tables
// it holds: the tables, their columns, their indexes' key parts and their
// foreign keys, each joined with the pragma that describes it.
func (d *Dialect) tables(ctx context.Context, db dialect.Queryer, schema string) ([]dialect.Table, error) {
	sch := d.QuoteIdent(schema)
	from := " FROM " + sch + `.sqlite_schema AS m `
	where := ` WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	var b inspect.Builder
	defs := map[string]string{}
	err := snapcopy.Each(ctx, db, "SELECT m.name, COALESCE(m.sql, '')"+from+where, nil, func(r *sql.Rows) error {
		var name, def string
		if err := r.Scan(&name, &def); err != nil {
			return err
		}
		b.Table(name)
		defs[name] = def
		for _, c := range checks(def) {
			b.Check(name, c.Name, c.Expr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.columns(ctx, db, from+"JOIN pragma_table_xinfo(m.name, ?) AS p"+where, schema, defs, &b); err != nil {
		return nil, err
	}
	err = snapcopy.Each(ctx, db, `SELECT m.name, l.name, l."unique", COALESCE(s.sql, ''), COALESCE(x.name, '(expression)'), x."desc", x.coll`+
		from+"JOIN pragma_index_list(m.name, ?) AS l JOIN pragma_index_xinfo(l.name, ?) AS x "+
		"LEFT JOIN "+sch+".sqlite_schema AS s ON s.type = 'index' AND s.name = l.name"+
		where+" AND l.origin <> 'pk' AND x.key = 1 ORDER BY m.name, l.name, x.seqno", []any{schema, schema},
		func(r *sql.Rows) error {
			var (
				table, index, def, part, coll string
				unique, desc                  bool
			)
			if err := r.Scan(&table, &index, &unique, &def, &part, &desc, &coll); err != nil {
				return err
			}
			if coll != "BINARY" {
				part += " COLLATE " + coll
			}
			if desc {
				part += " DESC"
			}
			b.IndexPart(table, index, unique, part, def)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	err = snapcopy.Each(ctx, db, `SELECT m.name, f.id, f."table", f."from", COALESCE(f."to", ''), f.on_update, f.on_delete`+
		from+"JOIN pragma_foreign_key_list(m.name, ?) AS f"+where+" ORDER BY m.name, f.id, f.seq", []any{schema},
		func(r *sql.Rows) error {
			var (
				id                                 int
				table, ref, col, to, upd, onDelete string
			)
			if err := r.Scan(&table, &id, &ref, &col, &to, &upd, &onDelete); err != nil {
				return err
			}
			b.ForeignKeyPart(table, strconv.Itoa(id), "", col, ref, to, upd, onDelete)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	return b.Tables(), nil
}

// columns adds the tables' columns and primary keys to b, from the
// columns pragma joined as tail says. A table declared with AUTOINCREMENT
// (defs holds the definitions) reports its single key column as
// generated "autoincrement".
func (d *Dialect) columns(ctx context.Context, db dialect.Queryer, tail, schema string, defs map[string]string, b *inspect.Builder) error {
	type column struct {
		table string
		dialect.Column
		pk int
	}
	var cols []column
	keys := map[string]int{} // table → columns in its primary key
	err := snapcopy.Each(ctx, db, `SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden`+tail+" ORDER BY m.name, p.cid",
		[]any{schema}, func(r *sql.Rows) error {
			var (
				c       column
				notNull bool
				def     sql.NullString
				hidden  int
			)
			if err := r.Scan(&c.table, &c.Name, &c.Type, &notNull, &def, &c.pk, &hidden); err != nil {
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
			if c.pk > 0 {
				keys[c.table]++
			}
			cols = append(cols, c)
			return nil
		})
	if err != nil {
		return fmt.Errorf("columns: %w", err)
	}
	pks := map[string]map[int]string{} // table → position in the key → column
	for _, c := range cols {
		if c.pk > 0 && keys[c.table] == 1 && autoincrement.MatchString(defs[c.table]) {
			c.Generated = "autoincrement"
		}
		b.Column(c.table, c.Column)
		if c.pk > 0 {
			if pks[c.table] == nil {
				pks[c.table] = map[int]string{}
			}
			pks[c.table][c.pk] = c.Name
		}
	}
	for table, pk := range pks {
		for n := 1; n <= len(pk); n++ {
			b.PrimaryKey(table, pk[n])
		}
	}
	return nil
}

// HasTables reports whether db (the attached schema db.Schema when it is
// set, else main) holds a table or view, but SQLite's own, whose name
// does not begin with except: one query of sqlite_schema.
func (d *Dialect) HasTables(ctx context.Context, q dialect.Queryer, db *dialect.Database, except string) (bool, error) {
	schema := schemaOf(db)
	var has bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+d.QuoteIdent(schema)+`.sqlite_schema
WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND substr(name, 1, length(?)) <> ?)`,
		except, except).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("sqlite: inspect %q: %w", db.Name, err)
	}
	return has, nil
}

// schemaOf is the schema db's description reads: the attached schema
// db.Schema when it is set, else main.
func schemaOf(db *dialect.Database) string {
	if db.Schema != "" {
		return db.Schema
	}
	return "main"
}

// Views describes the views of db (of the attached schema db.Schema when
// it is set, else of main), each as its CREATE VIEW statement was written.
func (d *Dialect) Views(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.View, error) {
	schema := schemaOf(db)
	views, err := inspect.Views(ctx, q, "SELECT name, COALESCE(sql, '') FROM "+d.QuoteIdent(schema)+".sqlite_schema WHERE type = 'view'", nil, "")
	if err != nil {
		return nil, fmt.Errorf("sqlite: inspect %q: %w", db.Name, err)
	}
	return views, nil
}
