package drift

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// Schema is one database's schema as a dialect.Inspector describes it.
type Schema struct {
	Tables []dialect.Table `json:"tables"`
	Views  []dialect.View  `json:"views"`
}

// Fingerprint is a digest of s: two schemas with one fingerprint describe
// identically (triggers and routines, which s does not describe, aside).
func (s Schema) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%#v", s)
	return hex.EncodeToString(h.Sum(nil))
}

// Object is the kind of schema object a difference concerns.
type Object string

// The kinds of object.
const (
	Table      Object = "table"
	Column     Object = "column"
	PrimaryKey Object = "primary_key"
	Index      Object = "index"
	ForeignKey Object = "foreign_key"
	Check      Object = "check"
	View       Object = "view"
)

// Objects lists every kind of object, in the order differences are
// reported within a table.
func Objects() []Object { return []Object{Table, Column, PrimaryKey, Index, ForeignKey, Check, View} }

// Change says how an object differs from the reference.
type Change string

// The changes.
const (
	// Missing: the reference has the object and the tenant does not.
	Missing Change = "missing"
	// Extra: the tenant has an object the reference does not.
	Extra Change = "extra"
	// Changed: both have it, defined differently.
	Changed Change = "changed"
)

// Difference is one object that differs from the reference.
type Difference struct {
	Change Change `json:"change"`
	Object Object `json:"object"`
	// Name names the object: a table or view by its name, anything on a
	// table as "table.name" (a column, an index, a constraint; a foreign
	// key or check without a name by its definition), a primary key by
	// its table.
	Name string `json:"name"`
	// Table is the table the object is on, or the table itself; "" for a
	// view.
	Table string `json:"table,omitempty"`
	// Expected is the reference's definition and Found the tenant's, as
	// the engine renders them; "" where there is none.
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
	// Customisation is the rule that allows the difference (see
	// Rule.String); "" when the difference is drift.
	Customisation string `json:"customisation,omitempty"`
}

// Drift reports whether d is drift, not an agreed customisation.
func (d Difference) Drift() bool { return d.Customisation == "" }

// String describes d in one line, for people.
func (d Difference) String() string {
	s := fmt.Sprintf("%s %s %s", d.Change, strings.ReplaceAll(string(d.Object), "_", " "), d.Name)
	switch d.Change {
	case Missing:
		s += fmt.Sprintf(" (expected %s)", d.Expected)
	case Extra:
		s += fmt.Sprintf(" (found %s)", d.Found)
	case Changed:
		s += fmt.Sprintf(": expected %s, found %s", d.Expected, d.Found)
	}
	if d.Customisation != "" {
		s += " — allowed by " + d.Customisation
	}
	return s
}

// Compare returns how live differs from reference: missing, extra and
// changed tables, and within each table present in both its columns,
// primary key, indexes, foreign keys and checks; then views. An extra or
// missing table is one difference, not one per column. The order is
// deterministic: by table, then kind of object, then name.
func Compare(reference, live Schema) []Difference {
	var out []Difference
	add := func(d Difference) { out = append(out, d) }
	pair(reference.Tables, live.Tables, func(t dialect.Table) string { return t.Name },
		func(ref, got *dialect.Table) {
			switch {
			case got == nil:
				add(Difference{Change: Missing, Object: Table, Name: ref.Name, Table: ref.Name, Expected: describeTable(*ref)})
			case ref == nil:
				add(Difference{Change: Extra, Object: Table, Name: got.Name, Table: got.Name, Found: describeTable(*got)})
			default:
				compareTable(*ref, *got, add)
			}
		})
	pair(reference.Views, live.Views, func(v dialect.View) string { return v.Name },
		func(ref, got *dialect.View) {
			d := Difference{Object: View}
			if ref != nil {
				d.Name, d.Expected = ref.Name, ref.Definition
			}
			if got != nil {
				d.Name, d.Found = got.Name, got.Definition
			}
			if change, ok := changeOf(d); ok {
				d.Change = change
				add(d)
			}
		})
	return out
}

// changeOf says how d's Expected and Found differ, and false when they do
// not: "" stands for an object that is not there.
func changeOf(d Difference) (Change, bool) {
	switch {
	case d.Expected == d.Found:
		return "", false
	case d.Found == "":
		return Missing, true
	case d.Expected == "":
		return Extra, true
	}
	return Changed, true
}

// compareTable adds the differences between the two definitions of one
// table.
func compareTable(ref, got dialect.Table, add func(Difference)) {
	part := func(object Object, name, expected, found string) {
		d := Difference{Object: object, Name: ref.Name + "." + name, Table: ref.Name, Expected: expected, Found: found}
		if object == PrimaryKey {
			d.Name = ref.Name
		}
		if change, ok := changeOf(d); ok {
			d.Change = change
			add(d)
		}
	}
	pair(ref.Columns, got.Columns, func(c dialect.Column) string { return c.Name }, func(a, b *dialect.Column) {
		part(Column, nameOf(a, b, func(c dialect.Column) string { return c.Name }), describe(a, describeColumn), describe(b, describeColumn))
	})
	part(PrimaryKey, "", keyOf(ref.PrimaryKey), keyOf(got.PrimaryKey))
	pair(ref.Indexes, got.Indexes, func(i dialect.Index) string { return i.Name }, func(a, b *dialect.Index) {
		part(Index, nameOf(a, b, func(i dialect.Index) string { return i.Name }), describe(a, describeIndex), describe(b, describeIndex))
	})
	pair(ref.ForeignKeys, got.ForeignKeys, ForeignKeyID, func(a, b *dialect.ForeignKey) {
		part(ForeignKey, nameOf(a, b, ForeignKeyID), describe(a, describeForeignKey), describe(b, describeForeignKey))
	})
	pair(ref.Checks, got.Checks, checkID, func(a, b *dialect.Check) {
		part(Check, nameOf(a, b, checkID), describe(a, describeCheck), describe(b, describeCheck))
	})
}

// pair calls f for every id in a or b, in order of id, with the element of
// each that has it (nil for the one that does not).
func pair[T any](a, b []T, id func(T) string, f func(x, y *T)) {
	ia, ib := index(a, id), index(b, id)
	var ids []string
	for k := range ia {
		ids = append(ids, k)
	}
	for k := range ib {
		if _, ok := ia[k]; !ok {
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	for _, k := range ids {
		f(ia[k], ib[k])
	}
}

func index[T any](xs []T, id func(T) string) map[string]*T {
	out := make(map[string]*T, len(xs))
	for i := range xs {
		out[id(xs[i])] = &xs[i]
	}
	return out
}

// nameOf is the id of whichever of a and b is there.
func nameOf[T any](a, b *T, id func(T) string) string {
	if a != nil {
		return id(*a)
	}
	return id(*b)
}

// describe renders x with f, and nil as "".
func describe[T any](x *T, f func(T) string) string {
	if x == nil {
		return ""
	}
	return f(*x)
}

// ForeignKeyID names a foreign key of a table as Difference.Name does
// after the table's name: by its name, or by its columns and the table it
// references when it has none (SQLite keeps none).
func ForeignKeyID(fk dialect.ForeignKey) string {
	return cmp.Or(fk.Name, fmt.Sprintf("(%s) → %s", strings.Join(fk.Columns, ", "), fk.RefTable))
}

func checkID(c dialect.Check) string { return cmp.Or(c.Name, c.Expr) }

func keyOf(columns []string) string {
	if len(columns) == 0 {
		return ""
	}
	return "PRIMARY KEY (" + strings.Join(columns, ", ") + ")"
}

func describeTable(t dialect.Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return "table (" + strings.Join(names, ", ") + ")"
}

func describeColumn(c dialect.Column) string {
	s := c.Type
	if !c.Nullable {
		s += " NOT NULL"
	}
	if c.HasDefault {
		s += " DEFAULT " + c.Default
	}
	if c.Generated != "" {
		s += " (" + c.Generated + ")"
	}
	return s
}

func describeIndex(i dialect.Index) string {
	s := "INDEX"
	if i.Unique {
		s = "UNIQUE INDEX"
	}
	s += " (" + strings.Join(i.Columns, ", ") + ")"
	if i.Definition != "" {
		s += " " + i.Definition
	}
	return s
}

func describeForeignKey(fk dialect.ForeignKey) string {
	return fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s) ON UPDATE %s ON DELETE %s", strings.Join(fk.Columns, ", "),
		fk.RefTable, strings.Join(fk.RefColumns, ", "), fk.OnUpdate, fk.OnDelete)
}

func describeCheck(c dialect.Check) string { return "CHECK (" + c.Expr + ")" }

// State sums up a tenant's differences.
type State string

// The states.
const (
	// None: the tenant's schema is its reference.
	None State = "none"
	// Customised: every difference is an agreed customisation.
	Customised State = "customised"
	// Drifted: some difference is drift.
	Drifted State = "drifted"
)

// Summary counts classified differences.
type Summary struct {
	State      State `json:"state"`
	Drifted    int   `json:"drifted"`
	Customised int   `json:"customised"`
}

// Summarise counts diffs, as Classify marked them.
func Summarise(diffs []Difference) Summary {
	s := Summary{State: None}
	for _, d := range diffs {
		if d.Drift() {
			s.Drifted++
		} else {
			s.Customised++
		}
	}
	switch {
	case s.Drifted > 0:
		s.State = Drifted
	case s.Customised > 0:
		s.State = Customised
	}
	return s
}
