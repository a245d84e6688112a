package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// DiffError is Verify's report that two databases differ. It lists every
// difference found.
type DiffError struct {
	// A and B name the databases compared, as Verify received them.
	A, B string
	// Differences are in table order, schema differences of a table
	// before its rows.
	Differences []Difference
}

// Difference is one way in which two databases differ.
type Difference struct {
	// Table is the table that differs.
	Table string
	// What says what differs, naming the databases by their names.
	What string
}

// Error lists the differences, one per line after the first.
func (e *DiffError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "snapshot: %q and %q differ", e.A, e.B)
	for _, d := range e.Differences {
		fmt.Fprintf(&b, "\n  table %q: %s", d.Table, d.What)
	}
	return b.String()
}

// Verify compares two databases of one engine: schema (tables, columns with types/nullability/defaults,
// primary keys, indexes, foreign keys) and, per table, a checksum of every row computed in Go in primary-key
// order (tables without a primary key: order by all columns). It returns nil when they are equal, else an
// error of type *DiffError listing every difference (table, what differs).
//
// Unlike Checksums, Verify covers herd's own tables too: a restored tenant
// must have its ledger back as well. Check constraints are compared where
// the engine reports them. The rows of a table whose columns differ are
// compared over the columns both sides have. d must implement
// dialect.Inspector. Any other error (a table that cannot be read, say) is
// returned as is, never as a *DiffError. Verify reads each table in its own
// query: compare databases that nothing writes to. It is safe for
// concurrent use.
func Verify(ctx context.Context, d dialect.Dialect, a, b *dialect.Database) error {
	ins, err := inspector(d)
	if err != nil {
		return err
	}
	ta, err := ins.Tables(ctx, a.DB, a)
	if err != nil {
		return fmt.Errorf("snapshot: verify %q against %q: %w", a.Name, b.Name, err)
	}
	tb, err := ins.Tables(ctx, b.DB, b)
	if err != nil {
		return fmt.Errorf("snapshot: verify %q against %q: %w", a.Name, b.Name, err)
	}
	var diffs []Difference
	for _, p := range pairTables(ta, tb) {
		switch {
		case p.b == nil:
			diffs = append(diffs, Difference{p.a.Name, fmt.Sprintf("only in %q", a.Name)})
			continue
		case p.a == nil:
			diffs = append(diffs, Difference{p.b.Name, fmt.Sprintf("only in %q", b.Name)})
			continue
		}
		for _, what := range compareTable(*p.a, *p.b, a.Name, b.Name) {
			diffs = append(diffs, Difference{p.a.Name, what})
		}
		cols := commonColumns(p.a.Columns, p.b.Columns)
		sa, na, err := tableChecksum(ctx, d, a, *p.a, cols)
		if err != nil {
			return fmt.Errorf("snapshot: verify %q: %w", a.Name, err)
		}
		sb, nb, err := tableChecksum(ctx, d, b, *p.b, cols)
		if err != nil {
			return fmt.Errorf("snapshot: verify %q: %w", b.Name, err)
		}
		if sa != sb {
			diffs = append(diffs, Difference{p.a.Name, fmt.Sprintf("rows differ (%d in %q, %d in %q; checksums %.12s…, %.12s…)", na, a.Name, nb, b.Name, sa, sb)})
		}
	}
	if len(diffs) > 0 {
		return &DiffError{A: a.Name, B: b.Name, Differences: diffs}
	}
	return nil
}

type tablePair struct{ a, b *dialect.Table }

// pairTables matches tables by name, in name order.
func pairTables(ta, tb []dialect.Table) []tablePair {
	byName := map[string]*tablePair{}
	var names []string
	for i := range ta {
		byName[ta[i].Name] = &tablePair{a: &ta[i]}
		names = append(names, ta[i].Name)
	}
	for i := range tb {
		if p, ok := byName[tb[i].Name]; ok {
			p.b = &tb[i]
			continue
		}
		byName[tb[i].Name] = &tablePair{b: &tb[i]}
		names = append(names, tb[i].Name)
	}
	slices.Sort(names)
	out := make([]tablePair, len(names))
	for i, n := range names {
		out[i] = *byName[n]
	}
	return out
}

// commonColumns returns the names of the columns both lists have, sorted.
func commonColumns(a, b []dialect.Column) []string {
	inB := map[string]bool{}
	for _, c := range b {
		inB[c.Name] = true
	}
	var out []string
	for _, c := range a {
		if inB[c.Name] {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

// compareTable lists the schema differences of two tables of one name,
// naming the sides an and bn.
func compareTable(a, b dialect.Table, an, bn string) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// Columns, by name, then their order.
	colsB := map[string]dialect.Column{}
	for _, c := range b.Columns {
		colsB[c.Name] = c
	}
	colsA := map[string]dialect.Column{}
	for _, ca := range a.Columns {
		colsA[ca.Name] = ca
		cb, ok := colsB[ca.Name]
		if !ok {
			add("column %q only in %q", ca.Name, an)
			continue
		}
		if ca.Type != cb.Type {
			add("column %q: type %s in %q, %s in %q", ca.Name, ca.Type, an, cb.Type, bn)
		}
		if ca.Nullable != cb.Nullable {
			add("column %q: %s in %q, %s in %q", ca.Name, nullability(ca), an, nullability(cb), bn)
		}
		if ca.HasDefault != cb.HasDefault || ca.Default != cb.Default {
			add("column %q: default %s in %q, %s in %q", ca.Name, defaultOf(ca), an, defaultOf(cb), bn)
		}
		if ca.Generated != cb.Generated {
			add("column %q: generated %s in %q, %s in %q", ca.Name, orNone(ca.Generated), an, orNone(cb.Generated), bn)
		}
	}
	for _, cb := range b.Columns {
		if _, ok := colsA[cb.Name]; !ok {
			add("column %q only in %q", cb.Name, bn)
		}
	}
	if oa, ob := columnOrder(a.Columns, colsB), columnOrder(b.Columns, colsA); !slices.Equal(oa, ob) {
		add("column order (%s) in %q, (%s) in %q", strings.Join(oa, ", "), an, strings.Join(ob, ", "), bn)
	}

	if !slices.Equal(a.PrimaryKey, b.PrimaryKey) {
		add("primary key %s in %q, %s in %q", keyOf(a.PrimaryKey), an, keyOf(b.PrimaryKey), bn)
	}
	compareNamed(a.Indexes, b.Indexes, func(i dialect.Index) string { return i.Name }, describeIndex, "index", an, bn, add)
	compareNamed(a.ForeignKeys, b.ForeignKeys, foreignKeyID, describeForeignKey, "foreign key", an, bn, add)
	compareNamed(a.Checks, b.Checks, func(c dialect.Check) string { return cmp.Or(c.Name, c.Expr) }, func(c dialect.Check) string { return "CHECK " + c.Expr }, "check", an, bn, add)
	return out
}

// columnOrder lists the names of the columns of cols that are also in
// other, in order.
func columnOrder(cols []dialect.Column, other map[string]dialect.Column) []string {
	var out []string
	for _, c := range cols {
		if _, ok := other[c.Name]; ok {
			out = append(out, c.Name)
		}
	}
	return out
}

// compareNamed compares two lists of objects matched by id, describing
// each with describe.
func compareNamed[T any](a, b []T, id func(T) string, describe func(T) string, kind, an, bn string, add func(string, ...any)) {
	inB := map[string]T{}
	for _, x := range b {
		inB[id(x)] = x
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[id(x)] = true
		y, ok := inB[id(x)]
		switch {
		case !ok:
			add("%s %s only in %q", kind, describe(x), an)
		case describe(x) != describe(y):
			add("%s %q: %s in %q, %s in %q", kind, id(x), describe(x), an, describe(y), bn)
		}
	}
	for _, y := range b {
		if !seen[id(y)] {
			add("%s %s only in %q", kind, describe(y), bn)
		}
	}
}

func nullability(c dialect.Column) string {
	if c.Nullable {
		return "NULL"
	}
	return "NOT NULL"
}

func defaultOf(c dialect.Column) string {
	if !c.HasDefault {
		return "(none)"
	}
	return c.Default
}

func orNone(s string) string {
	if s == "" {
		return "(no)"
	}
	return s
}

func keyOf(cols []string) string {
	if len(cols) == 0 {
		return "(none)"
	}
	return "(" + strings.Join(cols, ", ") + ")"
}

func describeIndex(i dialect.Index) string {
	s := i.Name + " (" + strings.Join(i.Columns, ", ") + ")"
	if i.Unique {
		s = "unique " + s
	}
	if i.Definition != "" {
		s += ": " + i.Definition
	}
	return s
}

// foreignKeyID is a foreign key's name, or its columns when the engine
// keeps no name.
func foreignKeyID(fk dialect.ForeignKey) string {
	if fk.Name != "" {
		return fk.Name
	}
	return "(" + strings.Join(fk.Columns, ", ") + ")"
}

func describeForeignKey(fk dialect.ForeignKey) string {
	s := fmt.Sprintf("(%s) REFERENCES %s (%s)", strings.Join(fk.Columns, ", "), fk.RefTable, strings.Join(fk.RefColumns, ", "))
	if fk.Name != "" {
		s = fk.Name + " " + s
	}
	if fk.OnUpdate != "" {
		s += " ON UPDATE " + fk.OnUpdate
	}
	if fk.OnDelete != "" {
		s += " ON DELETE " + fk.OnDelete
	}
	return s
}
