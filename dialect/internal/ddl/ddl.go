package ddl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/herdhq/herd/dialect"
)

// Writer implements dialect.SchemaWriter from its hooks. Its fields are
// set once by a dialect; a Writer is safe for concurrent use.
type Writer struct {
	// Quote quotes one identifier.
	Quote func(name string) string
	// InPlace is false on an engine that can neither alter a column nor
	// add or drop a constraint or a primary key in place (SQLite): those
	// methods then fail with dialect.ErrRebuild.
	InPlace bool
	// Column renders what a column's Generated asks for: a clause right
	// after the type (MySQL's generated columns), one at the end of the
	// definition, and whether that clause makes the column the table's
	// primary key (SQLite's INTEGER PRIMARY KEY AUTOINCREMENT). It fails
	// when the description lacks what the clause needs.
	Column func(c dialect.Column) (afterType, atEnd string, ownsKey bool, err error)
	// CanAdd reports whether the engine can add column c to an existing
	// table; nil means always.
	CanAdd func(c dialect.Column) bool
	// Sequences returns the statements that must run before and after a
	// column is created (PostgreSQL's sequence behind a nextval default);
	// nil means none.
	Sequences func(table string, c dialect.Column) (before, after []string)
	// AlterColumnSQL changes a column in place; used only when InPlace.
	AlterColumnSQL func(table string, from, to dialect.Column) ([]string, error)
	// IndexSQL renders CREATE INDEX for i.
	IndexSQL func(table string, i dialect.Index) (string, error)
	// DropIndexSQL renders DROP INDEX for i.
	DropIndexSQL func(table string, i dialect.Index) (string, error)
	// InlineIndex reports an index that CREATE TABLE declares itself
	// rather than a CREATE INDEX after it; nil means none.
	InlineIndex func(i dialect.Index) bool
	// IndexPart renders one key part of an index declared in CREATE
	// TABLE.
	IndexPart func(part string) (string, error)
	// ForeignKeyKind names the constraint kind that ALTER TABLE … DROP
	// takes for a foreign key ("CONSTRAINT", or MySQL's "FOREIGN KEY").
	ForeignKeyKind string
	// CheckExpr turns a described check expression into the one CHECK
	// (…) takes; nil keeps it.
	CheckExpr func(expr string) string
	// DropPrimaryKeySQL renders the statement that drops table's primary
	// key.
	DropPrimaryKeySQL func(table string) (string, error)
	// ViewSQL renders CREATE VIEW for v.
	ViewSQL func(v dialect.View) (string, error)
	// RebuildBefore and RebuildAfter surround a table rebuild (SQLite:
	// foreign keys off and a transaction).
	RebuildBefore, RebuildAfter []string
}

var _ dialect.SchemaWriter = (*Writer)(nil)

// rebuildPrefix starts the name of the new table of a rebuild.
const rebuildPrefix = "herd_rebuild_"

// qualified quotes a table name that may carry its schema ("s.t").
func (w *Writer) qualified(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = w.Quote(p)
	}
	return strings.Join(parts, ".")
}

func (w *Writer) list(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = w.Quote(n)
	}
	return strings.Join(out, ", ")
}

// column renders c's definition; ownsKey reports that it declares the
// table's primary key itself.
func (w *Writer) column(c dialect.Column) (def string, ownsKey bool, err error) {
	afterType, atEnd, ownsKey, err := w.Column(c)
	if err != nil {
		return "", false, fmt.Errorf("column %s: %w", c.Name, err)
	}
	parts := []string{w.Quote(c.Name)}
	if c.Type != "" {
		parts = append(parts, c.Type)
	}
	if afterType != "" {
		parts = append(parts, afterType)
	}
	if !c.Nullable {
		parts = append(parts, "NOT NULL")
	}
	if c.HasDefault && afterType == "" {
		parts = append(parts, "DEFAULT "+c.Default)
	}
	if atEnd != "" {
		parts = append(parts, atEnd)
	}
	return strings.Join(parts, " "), ownsKey, nil
}

func (w *Writer) foreignKey(fk dialect.ForeignKey) string {
	s := ""
	if fk.Name != "" {
		s = "CONSTRAINT " + w.Quote(fk.Name) + " "
	}
	s += fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s)", w.list(fk.Columns), w.qualified(fk.RefTable), w.list(fk.RefColumns))
	if fk.OnUpdate != "" {
		s += " ON UPDATE " + fk.OnUpdate
	}
	if fk.OnDelete != "" {
		s += " ON DELETE " + fk.OnDelete
	}
	return s
}

func (w *Writer) check(c dialect.Check) string {
	expr := c.Expr
	if w.CheckExpr != nil {
		expr = w.CheckExpr(expr)
	}
	s := "CHECK (" + expr + ")"
	if c.Name != "" {
		s = "CONSTRAINT " + w.Quote(c.Name) + " " + s
	}
	return s
}

func (w *Writer) inlineIndex(i dialect.Index) (string, error) {
	parts := make([]string, len(i.Columns))
	for k, p := range i.Columns {
		var err error
		if parts[k], err = w.IndexPart(p); err != nil {
			return "", fmt.Errorf("index %s: %w", i.Name, err)
		}
	}
	return w.InlineIndexSQL(i, strings.Join(parts, ", ")), nil
}

// InlineIndexSQL is an index declared in CREATE TABLE: a UNIQUE
// constraint, or MySQL's KEY name (…).
func (w *Writer) InlineIndexSQL(i dialect.Index, parts string) string {
	if i.Unique {
		return "CONSTRAINT " + w.Quote(i.Name) + " UNIQUE (" + parts + ")"
	}
	return "KEY " + w.Quote(i.Name) + " (" + parts + ")"
}

// createTable renders CREATE TABLE name for t, with the statements that
// come before it, and t's indexes when indexes is true.
func (w *Writer) createTable(name string, t dialect.Table, indexes bool) (before, stmts, after []string, err error) {
	var lines []string
	ownedKey := false
	for _, c := range t.Columns {
		def, owns, err := w.column(c)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		ownedKey = ownedKey || owns
		lines = append(lines, def)
		if w.Sequences != nil {
			b, a := w.Sequences(t.Name, c)
			before, after = append(before, b...), append(after, a...)
		}
	}
	if len(t.PrimaryKey) > 0 && !ownedKey {
		lines = append(lines, "PRIMARY KEY ("+w.list(t.PrimaryKey)+")")
	}
	var later []dialect.Index
	for _, i := range t.Indexes {
		if w.InlineIndex == nil || !w.InlineIndex(i) {
			later = append(later, i)
			continue
		}
		s, err := w.inlineIndex(i)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		lines = append(lines, s)
	}
	for _, c := range t.Checks {
		lines = append(lines, w.check(c))
	}
	for _, fk := range t.ForeignKeys {
		lines = append(lines, w.foreignKey(fk))
	}
	stmts = []string{"CREATE TABLE " + w.Quote(name) + " (\n    " + strings.Join(lines, ",\n    ") + "\n)"}
	if indexes {
		for _, i := range later {
			s, err := w.IndexSQL(t.Name, i)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("table %s: index %s: %w", t.Name, i.Name, err)
			}
			stmts = append(stmts, s)
		}
	}
	return before, stmts, after, nil
}

// CreateTable implements dialect.SchemaWriter.
func (w *Writer) CreateTable(t dialect.Table) ([]string, error) {
	before, stmts, after, err := w.createTable(t.Name, t, true)
	if err != nil {
		return nil, err
	}
	return append(append(before, stmts...), after...), nil
}

// DropTable implements dialect.SchemaWriter.
func (w *Writer) DropTable(name string) string { return "DROP TABLE " + w.Quote(name) }

// AddColumn implements dialect.SchemaWriter.
func (w *Writer) AddColumn(table string, c dialect.Column) ([]string, error) {
	if w.CanAdd != nil && !w.CanAdd(c) {
		return nil, dialect.ErrRebuild
	}
	def, owns, err := w.column(c)
	if err != nil {
		return nil, err
	}
	if owns {
		return nil, dialect.ErrRebuild
	}
	var before, after []string
	if w.Sequences != nil {
		before, after = w.Sequences(table, c)
	}
	return append(append(before, "ALTER TABLE "+w.Quote(table)+" ADD COLUMN "+def), after...), nil
}

// DropColumn implements dialect.SchemaWriter.
func (w *Writer) DropColumn(table, column string) (string, error) {
	if !w.InPlace {
		return "", dialect.ErrRebuild
	}
	return "ALTER TABLE " + w.Quote(table) + " DROP COLUMN " + w.Quote(column), nil
}

// AlterColumn implements dialect.SchemaWriter.
func (w *Writer) AlterColumn(table string, from, to dialect.Column) ([]string, error) {
	if !w.InPlace {
		return nil, dialect.ErrRebuild
	}
	return w.AlterColumnSQL(table, from, to)
}

// ColumnSQL renders c's definition as CREATE TABLE and ADD COLUMN take
// it, for an AlterColumn hook.
func (w *Writer) ColumnSQL(c dialect.Column) (string, error) {
	def, _, err := w.column(c)
	return def, err
}

// SetPrimaryKey implements dialect.SchemaWriter.
func (w *Writer) SetPrimaryKey(table string, from, to []string) ([]string, error) {
	if !w.InPlace {
		return nil, dialect.ErrRebuild
	}
	var out []string
	if len(from) > 0 {
		s, err := w.DropPrimaryKeySQL(table)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(to) > 0 {
		out = append(out, "ALTER TABLE "+w.Quote(table)+" ADD PRIMARY KEY ("+w.list(to)+")")
	}
	return out, nil
}

// CreateIndex implements dialect.SchemaWriter. An index that the engine
// only declares in CREATE TABLE (a SQLite UNIQUE constraint's) needs a
// rebuild.
func (w *Writer) CreateIndex(table string, i dialect.Index) (string, error) {
	if w.InlineIndex != nil && w.InlineIndex(i) {
		if !w.InPlace {
			return "", dialect.ErrRebuild
		}
		s, err := w.inlineIndex(i)
		if err != nil {
			return "", err
		}
		return "ALTER TABLE " + w.Quote(table) + " ADD " + s, nil
	}
	s, err := w.IndexSQL(table, i)
	if err != nil {
		return "", fmt.Errorf("index %s: %w", i.Name, err)
	}
	return s, nil
}

// DropIndex implements dialect.SchemaWriter.
func (w *Writer) DropIndex(table string, i dialect.Index) (string, error) {
	if w.InlineIndex != nil && w.InlineIndex(i) && !w.InPlace {
		return "", dialect.ErrRebuild
	}
	return w.DropIndexSQL(table, i)
}

// AddForeignKey implements dialect.SchemaWriter.
func (w *Writer) AddForeignKey(table string, fk dialect.ForeignKey) (string, error) {
	if !w.InPlace {
		return "", dialect.ErrRebuild
	}
	return "ALTER TABLE " + w.Quote(table) + " ADD " + w.foreignKey(fk), nil
}

// DropForeignKey implements dialect.SchemaWriter.
func (w *Writer) DropForeignKey(table string, fk dialect.ForeignKey) (string, error) {
	if !w.InPlace {
		return "", dialect.ErrRebuild
	}
	if fk.Name == "" {
		return "", errors.New("the foreign key has no name to drop it by")
	}
	return "ALTER TABLE " + w.Quote(table) + " DROP " + w.ForeignKeyKind + " " + w.Quote(fk.Name), nil
}

// AddCheck implements dialect.SchemaWriter.
func (w *Writer) AddCheck(table string, c dialect.Check) (string, error) {
	if !w.InPlace {
		return "", dialect.ErrRebuild
	}
	return "ALTER TABLE " + w.Quote(table) + " ADD " + w.check(c), nil
}

// DropCheck implements dialect.SchemaWriter.
func (w *Writer) DropCheck(table string, c dialect.Check) (string, error) {
	if !w.InPlace {
		return "", dialect.ErrRebuild
	}
	if c.Name == "" {
		return "", errors.New("the check has no name to drop it by")
	}
	return "ALTER TABLE " + w.Quote(table) + " DROP CONSTRAINT " + w.Quote(c.Name), nil
}

// CreateView implements dialect.SchemaWriter.
func (w *Writer) CreateView(v dialect.View) (string, error) {
	s, err := w.ViewSQL(v)
	if err != nil {
		return "", fmt.Errorf("view %s: %w", v.Name, err)
	}
	return s, nil
}

// DropView implements dialect.SchemaWriter.
func (w *Writer) DropView(name string) string { return "DROP VIEW " + w.Quote(name) }

// RebuildTable implements dialect.SchemaWriter: RebuildBefore, CREATE
// TABLE herd_rebuild_NAME as to, INSERT … SELECT of the columns from and
// to share (generated columns left out), DROP TABLE NAME, ALTER TABLE …
// RENAME TO NAME, to's indexes, RebuildAfter.
func (w *Writer) RebuildTable(from, to dialect.Table) ([]string, error) {
	tmp := rebuildPrefix + to.Name
	before, create, after, err := w.createTable(tmp, to, false)
	if err != nil {
		return nil, err
	}
	had := map[string]bool{}
	for _, c := range from.Columns {
		had[c.Name] = !generated(c)
	}
	var common []string
	for _, c := range to.Columns {
		if had[c.Name] && !generated(c) {
			common = append(common, c.Name)
		}
	}
	out := append(append(slices.Clone(w.RebuildBefore), before...), create...)
	if len(common) > 0 {
		out = append(out, fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", w.Quote(tmp), w.list(common), w.list(common), w.Quote(to.Name)))
	}
	out = append(out, w.DropTable(to.Name), "ALTER TABLE "+w.Quote(tmp)+" RENAME TO "+w.Quote(to.Name))
	out = append(out, after...)
	for _, i := range to.Indexes {
		if w.InlineIndex != nil && w.InlineIndex(i) {
			continue
		}
		s, err := w.IndexSQL(to.Name, i)
		if err != nil {
			return nil, fmt.Errorf("table %s: index %s: %w", to.Name, i.Name, err)
		}
		out = append(out, s)
	}
	return append(out, w.RebuildAfter...), nil
}

// generated reports a column the engine computes from others, which an
// INSERT cannot fill.
func generated(c dialect.Column) bool { return strings.Contains(c.Generated, "generated") }

// IndexOn renders CREATE [UNIQUE] INDEX name ON table [USING method]
// (parts) [suffix], each part through part.
func IndexOn(quote func(string) string, table string, i dialect.Index, method, suffix string, part func(string) (string, error)) (string, error) {
	parts := make([]string, len(i.Columns))
	for k, p := range i.Columns {
		var err error
		if parts[k], err = part(p); err != nil {
			return "", err
		}
	}
	s := "CREATE INDEX "
	if i.Unique {
		s = "CREATE UNIQUE INDEX "
	}
	s += quote(i.Name) + " ON " + quote(table)
	if method != "" {
		s += " USING " + method
	}
	s += " (" + strings.Join(parts, ", ") + ")"
	if suffix != "" {
		s += " " + suffix
	}
	return s, nil
}
