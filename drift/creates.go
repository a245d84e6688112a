package drift

import (
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/locklint"
)

// Creates says which object a DDL statement creates, named as
// Difference.Name names it: CREATE TABLE t; CREATE [UNIQUE] INDEX
// [CONCURRENTLY] [IF NOT EXISTS] i ON t; CREATE [OR REPLACE] VIEW v;
// ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c; ALTER TABLE t ADD
// CONSTRAINT n FOREIGN KEY or CHECK. ok is false for any other statement,
// and for an ALTER TABLE with more than one action.
func Creates(t locklint.Tokens) (object Object, name string, ok bool) {
	if table, actions, ok := t.AlterTable(); ok {
		if len(actions) != 1 || actions[0].Word(0) != "ADD" {
			return "", "", false
		}
		a := actions[0]
		i := 1
		switch a.Word(i) {
		case "CONSTRAINT":
			n, next := a.Name(i + 1)
			switch a.Word(next) {
			case "FOREIGN":
				return ForeignKey, table + "." + n, n != ""
			case "CHECK":
				return Check, table + "." + n, n != ""
			}
			return "", "", false
		case "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "INDEX", "KEY", "FULLTEXT", "SPATIAL":
			return "", "", false
		case "COLUMN":
			i++
		}
		if a.Words(i, "IF", "NOT", "EXISTS") {
			i += 3
		}
		column, _ := a.Name(i)
		return Column, table + "." + column, column != ""
	}
	if t.Word(0) != "CREATE" {
		return "", "", false
	}
	i := 1
	if t.Words(i, "OR", "REPLACE") {
		i += 2
	}
	if t.Word(i) == "UNIQUE" {
		i++
	}
	kind := t.Word(i)
	i++
	if kind == "INDEX" && t.Word(i) == "CONCURRENTLY" {
		i++
	}
	if t.Words(i, "IF", "NOT", "EXISTS") {
		i += 3
	}
	n, next := t.Name(i)
	if n == "" {
		return "", "", false
	}
	switch kind {
	case "TABLE":
		return Table, n, true
	case "VIEW":
		return View, n, true
	case "INDEX":
		if t.Word(next) != "ON" {
			return "", "", false
		}
		table, _ := t.Name(next + 1)
		return Index, table + "." + n, table != ""
	}
	return "", "", false
}

// Describe returns the definition of s's object named name (as
// Difference.Name names it), as Compare renders it; ok is false when s
// has no such object (names compare without case, as a statement's bare
// names read). Two objects with one description are identical.
func (s Schema) Describe(object Object, name string) (string, bool) {
	if object == View {
		for _, v := range s.Views {
			if strings.EqualFold(v.Name, name) {
				return v.Definition, true
			}
		}
		return "", false
	}
	for _, t := range s.Tables {
		if object == Table {
			if strings.EqualFold(t.Name, name) {
				return fmt.Sprintf("%#v", t), true
			}
			continue
		}
		switch object {
		case Column:
			if d, ok := describeIn(t, t.Columns, name, func(c dialect.Column) string { return c.Name }, describeColumn); ok {
				return d, true
			}
		case Index:
			if d, ok := describeIn(t, t.Indexes, name, func(i dialect.Index) string { return i.Name }, describeIndex); ok {
				return d, true
			}
		case ForeignKey:
			if d, ok := describeIn(t, t.ForeignKeys, name, ForeignKeyID, describeForeignKey); ok {
				return d, true
			}
		case Check:
			if d, ok := describeIn(t, t.Checks, name, checkID, describeCheck); ok {
				return d, true
			}
		}
	}
	return "", false
}

// describeIn describes the element of xs on table t that name ("table.id")
// names.
func describeIn[T any](t dialect.Table, xs []T, name string, id func(T) string, describe func(T) string) (string, bool) {
	for _, x := range xs {
		if strings.EqualFold(t.Name+"."+id(x), name) {
			return describe(x), true
		}
	}
	return "", false
}

// Touched is an object a statement drops or renames, named as
// Difference.Name names it.
type Touched struct {
	Object Object
	Name   string
	// Table is the table the object is on, or the table itself; "" for a
	// view.
	Table string
}

// Touches returns the objects a DDL statement drops or renames: DROP
// TABLE t (each of a list), DROP VIEW v, ALTER TABLE t RENAME TO n, and
// the actions of ALTER TABLE t: DROP [COLUMN] c, RENAME [COLUMN] c TO d,
// DROP CONSTRAINT n (a foreign key or check), MODIFY/CHANGE/ALTER
// [COLUMN] c (a column redefined). Nothing for any other statement.
func Touches(t locklint.Tokens) []Touched {
	if table, actions, ok := t.AlterTable(); ok {
		var out []Touched
		for _, a := range actions {
			i := 1
			switch a.Word(0) {
			case "RENAME":
				if a.Word(1) == "TO" || a.Word(1) == "AS" {
					out = append(out, Touched{Object: Table, Name: table, Table: table})
					continue
				}
			case "DROP", "MODIFY", "CHANGE", "ALTER":
			default:
				continue
			}
			switch a.Word(i) {
			case "CONSTRAINT":
				if n, _ := a.Name(i + 1); n != "" {
					out = append(out, Touched{Object: ForeignKey, Name: table + "." + n, Table: table},
						Touched{Object: Check, Name: table + "." + n, Table: table})
				}
				continue
			case "PRIMARY", "INDEX", "KEY", "FOREIGN", "CHECK", "DEFAULT":
				continue
			case "COLUMN":
				i++
			}
			if a.Words(i, "IF", "EXISTS") {
				i += 2
			}
			if c, _ := a.Name(i); c != "" {
				out = append(out, Touched{Object: Column, Name: table + "." + c, Table: table})
			}
		}
		return out
	}
	if t.Word(0) != "DROP" || (t.Word(1) != "TABLE" && t.Word(1) != "VIEW") {
		return nil
	}
	object := Table
	if t.Word(1) == "VIEW" {
		object = View
	}
	i := 2
	if t.Words(i, "IF", "EXISTS") {
		i += 2
	}
	var out []Touched
	for {
		n, next := t.Name(i)
		if n == "" {
			return out
		}
		touched := Touched{Object: object, Name: n}
		if object == Table {
			touched.Table = n
		}
		out = append(out, touched)
		if !t.Punct(next, ',') {
			return out
		}
		i = next + 1
	}
}
