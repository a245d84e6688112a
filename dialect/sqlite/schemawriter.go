package sqlite

import (
	"errors"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/ddl"
)

var _ dialect.SchemaWriting = (*Dialect)(nil)

// autoindexPrefix starts the name SQLite gives the index behind a UNIQUE
// constraint, which only CREATE TABLE can declare.
const autoindexPrefix = "sqlite_autoindex_"

// SchemaWriter returns SQLite's DDL renderer. SQLite adds columns and
// creates and drops indexes and views in place; anything else on an
// existing table (altering or dropping a column, a primary key, a foreign
// key, a check, a UNIQUE constraint) fails with dialect.ErrRebuild, and
// RebuildTable writes SQLite's documented rebuild with foreign keys off
// and legacy_alter_table on (so that the rename does not check the views
// on the table, which name it again once it is renamed), in one
// transaction, with PRAGMA foreign_key_check before the commit. A
// generated column cannot be written: the description lacks its
// expression.
func (d *Dialect) SchemaWriter() dialect.SchemaWriter {
	return &ddl.Writer{
		Quote:   d.QuoteIdent,
		InPlace: false,
		Column: func(c dialect.Column) (string, string, bool, error) {
			switch c.Generated {
			case "":
				return "", "", false, nil
			case "autoincrement":
				return "", "PRIMARY KEY AUTOINCREMENT", true, nil
			}
			return "", "", false, errors.New("SQLite's description of a generated column lacks its expression: write it by hand")
		},
		CanAdd: func(c dialect.Column) bool {
			// ALTER TABLE ADD COLUMN takes neither NOT NULL without a
			// default nor an expression as default.
			def := strings.ToUpper(strings.TrimSpace(c.Default))
			switch {
			case !c.Nullable && !c.HasDefault, c.Generated != "":
				return false
			case c.HasDefault && (strings.HasPrefix(def, "(") || strings.HasPrefix(def, "CURRENT_")):
				return false
			}
			return true
		},
		IndexSQL: func(table string, i dialect.Index) (string, error) {
			if i.Definition != "" {
				return i.Definition, nil
			}
			return ddl.IndexOn(d.QuoteIdent, table, i, "", "", d.quotePart)
		},
		DropIndexSQL: func(_ string, i dialect.Index) (string, error) {
			return "DROP INDEX " + d.QuoteIdent(i.Name), nil
		},
		InlineIndex: func(i dialect.Index) bool { return strings.HasPrefix(i.Name, autoindexPrefix) },
		IndexPart:   d.quotePart,
		ViewSQL: func(v dialect.View) (string, error) {
			if v.Definition == "" {
				return "", errors.New("no definition")
			}
			return v.Definition, nil
		},
		RebuildBefore: []string{"PRAGMA foreign_keys = OFF", "PRAGMA legacy_alter_table = ON", "BEGIN"},
		RebuildAfter:  []string{"PRAGMA foreign_key_check", "COMMIT", "PRAGMA legacy_alter_table = OFF", "PRAGMA foreign_keys = ON"},
	}
}

// quotePart quotes the column of an index part as index_xinfo reports it
// ("name", "name COLLATE NOCASE", "name DESC"); an expression cannot be
// written from its description.
func (d *Dialect) quotePart(part string) (string, error) {
	if strings.HasPrefix(part, "(expression)") {
		return "", errors.New("the description of an expression index lacks its expression")
	}
	name, rest := part, ""
	if i := strings.IndexAny(part, " "); i > 0 {
		name, rest = part[:i], part[i:]
	}
	return d.QuoteIdent(name) + rest, nil
}
