package mysql

import (
	"errors"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/ddl"
)

var _ dialect.SchemaWriting = (*Dialect)(nil)

// SchemaWriter returns MySQL's DDL renderer. Everything is done in place;
// a column is changed by MODIFY COLUMN with its whole definition.
// CREATE TABLE declares the table's indexes itself, so that the index a
// foreign key needs exists before the key (MySQL would otherwise make one
// of its own). Defaults are written as the server reports them, which is
// MariaDB's SQL form (strings quoted); MySQL 8 reports a string default
// unquoted, to be quoted by hand. An expression index cannot be written:
// the description lacks its expression.
func (d *Dialect) SchemaWriter() dialect.SchemaWriter {
	w := &ddl.Writer{
		Quote:   quoteIdent,
		InPlace: true,
		Column:  generatedClause,
		IndexSQL: func(table string, i dialect.Index) (string, error) {
			return ddl.IndexOn(quoteIdent, table, i, "", i.Definition, indexPart)
		},
		DropIndexSQL: func(table string, i dialect.Index) (string, error) {
			return "DROP INDEX " + quoteIdent(i.Name) + " ON " + quoteIdent(table), nil
		},
		InlineIndex:    func(dialect.Index) bool { return true },
		IndexPart:      indexPart,
		ForeignKeyKind: "FOREIGN KEY",
		DropPrimaryKeySQL: func(table string) (string, error) {
			return "ALTER TABLE " + quoteIdent(table) + " DROP PRIMARY KEY", nil
		},
		ViewSQL: func(v dialect.View) (string, error) {
			if v.Definition == "" {
				return "", errors.New("no definition")
			}
			return "CREATE VIEW " + quoteIdent(v.Name) + " AS " + v.Definition, nil
		},
	}
	w.AlterColumnSQL = func(table string, _, to dialect.Column) ([]string, error) {
		def, err := w.ColumnSQL(to)
		if err != nil {
			return nil, err
		}
		return []string{"ALTER TABLE " + quoteIdent(table) + " MODIFY COLUMN " + def}, nil
	}
	return w
}

// generatedClause writes a column's EXTRA as the Inspector reports it
// (lower case, with a generation expression after ": ").
func generatedClause(c dialect.Column) (afterType, atEnd string, ownsKey bool, err error) {
	extra := strings.TrimSpace(strings.TrimPrefix(c.Generated, "default_generated"))
	kind, expr, _ := strings.Cut(extra, ": ")
	switch {
	case extra == "":
		return "", "", false, nil
	case extra == "auto_increment":
		return "", "AUTO_INCREMENT", false, nil
	case strings.HasPrefix(extra, "on update "):
		return "", "ON UPDATE " + strings.TrimPrefix(extra, "on update "), false, nil
	case kind == "stored generated":
		return "GENERATED ALWAYS AS (" + expr + ") STORED", "", false, nil
	case kind == "virtual generated":
		return "GENERATED ALWAYS AS (" + expr + ") VIRTUAL", "", false, nil
	}
	return "", "", false, errors.New("unknown column extra " + c.Generated)
}

// indexPart quotes the column of an index part as the Inspector reports
// it ("name", "name(10)", "name DESC").
func indexPart(part string) (string, error) {
	if strings.HasPrefix(part, "(expression)") {
		return "", errors.New("the description of an expression index lacks its expression")
	}
	name, rest := part, ""
	if i := strings.IndexAny(part, "( "); i > 0 {
		name, rest = part[:i], part[i:]
	}
	return quoteIdent(name) + rest, nil
}
