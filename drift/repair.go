package drift

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// Statement is one step of a repair: a statement to run, or, when the
// engine's renderer could not write one, a note saying what must be done
// by hand.
type Statement struct {
	// SQL is the statement, without a final semicolon; "" for a note.
	SQL string
	// Note says what must be done by hand, and why.
	Note string
}

// The phases of a repair, in the order its statements run: what goes
// away before what depends on it, what comes back after what it needs.
const (
	dropViews = iota
	dropForeignKeys
	dropChecks
	dropIndexes
	dropPrimaryKeys
	dropColumns
	dropTables
	createTables
	rebuildTables
	alterColumns
	addPrimaryKeys
	createIndexes
	addChecks
	addForeignKeys
	createViews
	phases
)

// Repair returns the statements that remove the drift among diffs (as
// Compare and Classify return them for reference and live), leaving every
// customisation as it is: a missing object is created as the reference
// describes it, an extra one dropped, a changed one altered (or dropped
// and created again). Where w cannot make a change in place
// (dialect.ErrRebuild), the whole table is rebuilt into its reference
// description with the table's customisations kept. What w cannot write
// at all becomes a Statement with a Note. Repair runs nothing.
func Repair(w dialect.SchemaWriter, reference, live Schema, diffs []Difference) []Statement {
	r := &repair{w: w}
	refTables := index(reference.Tables, func(t dialect.Table) string { return t.Name })
	liveTables := index(live.Tables, func(t dialect.Table) string { return t.Name })
	var (
		missing []dialect.Table
		tables  []string
		byTable = map[string][]Difference{}
	)
	for _, d := range diffs {
		if !d.Drift() {
			continue
		}
		switch {
		case d.Object == View:
			r.view(d, reference.Views, live.Views)
		case d.Object == Table && d.Change == Missing:
			missing = append(missing, *refTables[d.Name])
		case d.Object == Table && d.Change == Extra:
			r.add(dropTables, []string{w.DropTable(d.Name)}, nil, d)
		default:
			if _, ok := byTable[d.Table]; !ok {
				tables = append(tables, d.Table)
			}
			byTable[d.Table] = append(byTable[d.Table], d)
		}
	}
	for _, t := range byReference(missing) {
		stmts, err := w.CreateTable(t)
		r.add(createTables, stmts, err, Difference{Change: Missing, Object: Table, Name: t.Name})
	}
	for _, name := range tables {
		r.table(*refTables[name], *liveTables[name], byTable[name])
	}
	var out []Statement
	for _, p := range r.phases {
		out = append(out, p...)
	}
	return out
}

type repair struct {
	w      dialect.SchemaWriter
	phases [phases][]Statement
}

// add puts stmts in phase, or a note for d when err says they could not
// be written.
func (r *repair) add(phase int, stmts []string, err error, d Difference) {
	if err != nil {
		r.phases[phase] = append(r.phases[phase], Statement{Note: fmt.Sprintf("%s %s %s: write by hand: %v",
			d.Change, strings.ReplaceAll(string(d.Object), "_", " "), d.Name, err)})
		return
	}
	for _, s := range stmts {
		r.phases[phase] = append(r.phases[phase], Statement{SQL: s})
	}
}

func (r *repair) view(d Difference, reference, live []dialect.View) {
	if d.Change != Missing {
		r.add(dropViews, []string{r.w.DropView(d.Name)}, nil, d)
	}
	if d.Change != Extra {
		i := slices.IndexFunc(reference, func(v dialect.View) bool { return v.Name == d.Name })
		s, err := r.w.CreateView(reference[i])
		r.add(createViews, []string{s}, err, d)
	}
}

// table repairs the drift (drifted) of one table that the reference and
// the live schema both have.
func (r *repair) table(ref, got dialect.Table, drifted []Difference) {
	var (
		local   repair
		rebuild bool
	)
	local.w = r.w
	step := func(phase int, d Difference, stmts []string, err error) {
		if errors.Is(err, dialect.ErrRebuild) {
			rebuild = true
		}
		local.add(phase, stmts, err, d)
	}
	one := func(s string, err error) ([]string, error) { return []string{s}, err }
	for _, d := range drifted {
		id := strings.TrimPrefix(d.Name, ref.Name+".")
		switch d.Object {
		case Column:
			a, b := find(ref.Columns, id, columnID), find(got.Columns, id, columnID)
			switch d.Change {
			case Missing:
				stmts, err := r.w.AddColumn(ref.Name, *a)
				step(alterColumns, d, stmts, err)
			case Extra:
				stmts, err := one(r.w.DropColumn(ref.Name, id))
				step(dropColumns, d, stmts, err)
			case Changed:
				stmts, err := r.w.AlterColumn(ref.Name, *b, *a)
				step(alterColumns, d, stmts, err)
			}
		case PrimaryKey:
			// Dropped before columns change (a column of the old key may
			// lose NOT NULL or go), added after (a column of the new key
			// may be added).
			if len(got.PrimaryKey) > 0 {
				stmts, err := r.w.SetPrimaryKey(ref.Name, got.PrimaryKey, nil)
				step(dropPrimaryKeys, d, stmts, err)
			}
			if len(ref.PrimaryKey) > 0 {
				stmts, err := r.w.SetPrimaryKey(ref.Name, nil, ref.PrimaryKey)
				step(addPrimaryKeys, d, stmts, err)
			}
		case Index:
			a, b := find(ref.Indexes, id, indexID), find(got.Indexes, id, indexID)
			if b != nil {
				stmts, err := one(r.w.DropIndex(ref.Name, *b))
				step(dropIndexes, d, stmts, err)
			}
			if a != nil {
				stmts, err := one(r.w.CreateIndex(ref.Name, *a))
				step(createIndexes, d, stmts, err)
			}
		case ForeignKey:
			a, b := find(ref.ForeignKeys, id, ForeignKeyID), find(got.ForeignKeys, id, ForeignKeyID)
			if b != nil {
				stmts, err := one(r.w.DropForeignKey(ref.Name, *b))
				step(dropForeignKeys, d, stmts, err)
			}
			if a != nil {
				stmts, err := one(r.w.AddForeignKey(ref.Name, *a))
				step(addForeignKeys, d, stmts, err)
			}
		case Check:
			a, b := find(ref.Checks, id, checkID), find(got.Checks, id, checkID)
			if b != nil {
				stmts, err := one(r.w.DropCheck(ref.Name, *b))
				step(dropChecks, d, stmts, err)
			}
			if a != nil {
				stmts, err := one(r.w.AddCheck(ref.Name, *a))
				step(addChecks, d, stmts, err)
			}
		}
	}
	if !rebuild {
		for p := range local.phases {
			r.phases[p] = append(r.phases[p], local.phases[p]...)
		}
		return
	}
	stmts, err := r.w.RebuildTable(got, desired(ref, got, drifted))
	r.add(rebuildTables, stmts, err, Difference{Change: Changed, Object: Table, Name: ref.Name})
}

// desired is table got with its drift (drifted) undone: each object that
// drifted as the reference has it (or gone, when the reference lacks it),
// every other as got has it, so that customisations stay.
func desired(ref, got dialect.Table, drifted []Difference) dialect.Table {
	drift := map[Object]map[string]bool{}
	for _, d := range drifted {
		if drift[d.Object] == nil {
			drift[d.Object] = map[string]bool{}
		}
		drift[d.Object][strings.TrimPrefix(d.Name, ref.Name+".")] = true
	}
	out := dialect.Table{Name: ref.Name, PrimaryKey: got.PrimaryKey,
		Columns:     merge(ref.Columns, got.Columns, columnID, drift[Column]),
		Indexes:     merge(ref.Indexes, got.Indexes, indexID, drift[Index]),
		ForeignKeys: merge(ref.ForeignKeys, got.ForeignKeys, ForeignKeyID, drift[ForeignKey]),
		Checks:      merge(ref.Checks, got.Checks, checkID, drift[Check]),
	}
	if len(drift[PrimaryKey]) > 0 {
		out.PrimaryKey = ref.PrimaryKey
	}
	return out
}

// merge takes, for each id in ref or got (in ref's order, then got's),
// ref's element when the id drifted and got's otherwise, leaving out
// whichever is not there.
func merge[T any](ref, got []T, id func(T) string, drifted map[string]bool) []T {
	var out []T
	pick := func(k string) {
		from := got
		if drifted[k] {
			from = ref
		}
		if x := find(from, k, id); x != nil {
			out = append(out, *x)
		}
	}
	seen := map[string]bool{}
	for _, x := range ref {
		seen[id(x)] = true
		pick(id(x))
	}
	for _, x := range got {
		if !seen[id(x)] {
			pick(id(x))
		}
	}
	return out
}

// find returns the element of xs with id k, or nil.
func find[T any](xs []T, k string, id func(T) string) *T {
	for i := range xs {
		if id(xs[i]) == k {
			return &xs[i]
		}
	}
	return nil
}

func columnID(c dialect.Column) string { return c.Name }

func indexID(i dialect.Index) string { return i.Name }

// byReference orders tables so that each comes after the tables among
// them its foreign keys reference; tables in a cycle keep their order.
func byReference(tables []dialect.Table) []dialect.Table {
	var (
		out  []dialect.Table
		done = map[string]bool{}
		busy = map[string]bool{}
		byID = index(tables, func(t dialect.Table) string { return t.Name })
	)
	var visit func(t dialect.Table)
	visit = func(t dialect.Table) {
		if done[t.Name] || busy[t.Name] {
			return
		}
		busy[t.Name] = true
		for _, fk := range t.ForeignKeys {
			if dep, ok := byID[fk.RefTable]; ok {
				visit(*dep)
			}
		}
		done[t.Name] = true
		out = append(out, t)
	}
	for _, t := range tables {
		visit(t)
	}
	return out
}
