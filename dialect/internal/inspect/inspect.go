package inspect

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

// Builder collects catalog rows into tables. Rows of one table, index or
// foreign key must arrive in key order; tables, indexes and foreign keys
// may arrive in any order. Its zero value is ready to use; it is not safe
// for concurrent use.
type Builder struct {
	tables map[string]*dialect.Table
	fks    map[string]map[string]int // table → constraint key → index in ForeignKeys
}

func (b *Builder) table(name string) *dialect.Table {
	if b.tables == nil {
		b.tables = map[string]*dialect.Table{}
		b.fks = map[string]map[string]int{}
	}
	t, ok := b.tables[name]
	if !ok {
		t = &dialect.Table{Name: name}
		b.tables[name] = t
	}
	return t
}

// Table records that table exists, even if no other row names it.
func (b *Builder) Table(table string) { b.table(table) }

// Column appends c to table's columns.
func (b *Builder) Column(table string, c dialect.Column) {
	t := b.table(table)
	t.Columns = append(t.Columns, c)
}

// PrimaryKey appends column to table's primary key.
func (b *Builder) PrimaryKey(table, column string) {
	t := b.table(table)
	t.PrimaryKey = append(t.PrimaryKey, column)
}

// IndexPart appends part (a column or expression) to index name of table,
// creating the index on its first part.
func (b *Builder) IndexPart(table, name string, unique bool, part, definition string) {
	t := b.table(table)
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			t.Indexes[i].Columns = append(t.Indexes[i].Columns, part)
			return
		}
	}
	t.Indexes = append(t.Indexes, dialect.Index{Name: name, Unique: unique, Columns: []string{part}, Definition: definition})
}

// ForeignKeyPart appends the pair column → refColumn to the foreign key
// identified by key (its name, or any id unique within the table when the
// engine keeps no name), creating it on its first pair.
func (b *Builder) ForeignKeyPart(table, key, name, column, refTable, refColumn, onUpdate, onDelete string) {
	t := b.table(table)
	if i, ok := b.fks[table][key]; ok {
		fk := &t.ForeignKeys[i]
		fk.Columns = append(fk.Columns, column)
		fk.RefColumns = append(fk.RefColumns, refColumn)
		return
	}
	if b.fks[table] == nil {
		b.fks[table] = map[string]int{}
	}
	b.fks[table][key] = len(t.ForeignKeys)
	t.ForeignKeys = append(t.ForeignKeys, dialect.ForeignKey{
		Name: name, Columns: []string{column}, RefTable: refTable, RefColumns: []string{refColumn},
		OnUpdate: Action(onUpdate), OnDelete: Action(onDelete),
	})
}

// Check records check constraint name of table.
func (b *Builder) Check(table, name, expr string) {
	t := b.table(table)
	t.Checks = append(t.Checks, dialect.Check{Name: name, Expr: expr})
}

// Tables returns the tables sorted by name, with their indexes, foreign
// keys and checks sorted as dialect.Table documents.
func (b *Builder) Tables() []dialect.Table {
	out := make([]dialect.Table, 0, len(b.tables))
	for _, t := range b.tables {
		slices.SortFunc(t.Indexes, func(x, y dialect.Index) int { return cmp.Compare(x.Name, y.Name) })
		slices.SortFunc(t.ForeignKeys, func(x, y dialect.ForeignKey) int {
			return cmp.Or(cmp.Compare(x.Name, y.Name),
				cmp.Compare(strings.Join(x.Columns, "\x00"), strings.Join(y.Columns, "\x00")),
				cmp.Compare(x.RefTable, y.RefTable),
				cmp.Compare(strings.Join(x.RefColumns, "\x00"), strings.Join(y.RefColumns, "\x00")))
		})
		slices.SortFunc(t.Checks, func(x, y dialect.Check) int {
			return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Expr, y.Expr))
		})
		out = append(out, *t)
	}
	slices.SortFunc(out, func(x, y dialect.Table) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

// Action normalises a referential action to upper case with single spaces
// ("no action" and "NO_ACTION" become "NO ACTION"); "" stays "".
func Action(a string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(a, "_", " "))), " ")
}

// Views reads views from query, whose rows are a view's name and its
// definition, and returns them sorted by name with each definition's runs
// of white space made one space and every occurrence of qualifier (the
// database's own name as the engine prefixes it, such as "`tenant`.")
// left out; qualifier "" leaves none out.
func Views(ctx context.Context, q snapcopy.Querier, query string, args []any, qualifier string) ([]dialect.View, error) {
	var views []dialect.View
	err := snapcopy.Each(ctx, q, query, args, func(r *sql.Rows) error {
		var v dialect.View
		if err := r.Scan(&v.Name, &v.Definition); err != nil {
			return err
		}
		if qualifier != "" {
			v.Definition = strings.ReplaceAll(v.Definition, qualifier, "")
		}
		v.Definition = strings.Join(strings.Fields(v.Definition), " ")
		views = append(views, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read views: %w", err)
	}
	slices.SortFunc(views, func(x, y dialect.View) int { return cmp.Compare(x.Name, y.Name) })
	return views, nil
}
