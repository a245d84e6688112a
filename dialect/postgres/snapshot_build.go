package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

// rowCopier copies the given columns of every row of table from the source
// into the target.
type rowCopier func(ctx context.Context, table string, columns []column) error

// build recreates c in the target schema through tx, whose search_path is
// that schema: types and sequences, tables, their rows (by copyRows), then
// constraints and indexes, foreign keys, sequence owners and positions,
// and views, in that order so that rows load before the indexes and
// checks that would slow them and before the foreign keys that would
// order them.
func build(ctx context.Context, tx *sql.Tx, c *catalog, schema string, copyRows rowCopier) error {
	exec := func(what, q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, x := range c.extensions {
		if x.schema != databaseSchema && x.schema != "pg_catalog" {
			if err := exec("create schema "+x.schema, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(x.schema)); err != nil {
				return err
			}
		}
		if err := exec("create extension "+x.name, "CREATE EXTENSION IF NOT EXISTS "+quoteIdent(x.name)+
			" WITH SCHEMA "+quoteIdent(x.schema)+" VERSION "+x.version); err != nil {
			return err
		}
	}
	for _, e := range c.enums {
		if err := exec("create type "+e.name, "CREATE TYPE "+quoteIdent(e.name)+" AS ENUM ("+strings.Join(e.labels, ", ")+")"); err != nil {
			return err
		}
	}
	for _, s := range c.sequences {
		if s.ownedBy == "i" {
			continue // made with its identity column
		}
		if err := exec("create sequence "+s.name, "CREATE SEQUENCE "+quoteIdent(s.name)+" AS "+s.typ+" "+sequenceOptions(s)); err != nil {
			return err
		}
	}
	for _, t := range c.tables {
		if err := exec("create table "+t.name, createTable(c, t)); err != nil {
			return err
		}
	}
	for _, t := range c.tables {
		var cols []column
		for _, col := range t.columns {
			if col.generated == "" {
				cols = append(cols, col)
			}
		}
		if err := copyRows(ctx, t.name, cols); err != nil {
			return fmt.Errorf("copy rows of %s: %w", t.name, err)
		}
	}
	for _, t := range c.tables {
		for _, con := range t.constraints {
			if err := exec("add constraint "+con.name+" on "+t.name, addConstraint(t, con)); err != nil {
				return err
			}
		}
		for _, i := range t.indexes {
			if !i.constraint {
				if err := exec("create index "+i.name, i.def); err != nil {
					return err
				}
			}
		}
	}
	for _, t := range c.tables {
		for _, fk := range t.foreignKeys {
			if err := exec("add foreign key "+fk.name+" on "+t.name, addConstraint(t, fk)); err != nil {
				return err
			}
		}
	}
	for _, s := range c.sequences {
		if s.ownedBy == "a" && s.ownerTable != "" {
			if err := exec("set owner of sequence "+s.name, "ALTER SEQUENCE "+quoteIdent(s.name)+" OWNED BY "+
				quoteIdent(s.ownerTable)+"."+quoteIdent(s.ownerColumn)); err != nil {
				return err
			}
		}
		if err := exec("set position of sequence "+s.name, "SELECT pg_catalog.setval($1::regclass, $2, $3)",
			quoteIdent(schema)+"."+quoteIdent(s.name), s.lastValue, s.isCalled); err != nil {
			return err
		}
	}
	names := make([]string, len(c.views))
	for i, v := range c.views {
		names[i] = "view " + v.name
	}
	// A view may select from another whose name sorts after it: create
	// them in passes, each attempt in a savepoint so that a failure leaves
	// the transaction usable.
	err := snapcopy.InOrder(ctx, names, func(ctx context.Context, i int) error {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT herd_view"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, createView(c.views[i])); err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT herd_view"); rerr != nil {
				return fmt.Errorf("%w (and rolling back to the savepoint failed: %v)", err, rerr)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT herd_view")
		return err
	})
	if err != nil {
		return fmt.Errorf("create views: %w", err)
	}
	return nil
}

// sequenceOptions renders a sequence's options, for CREATE SEQUENCE or an
// identity column.
func sequenceOptions(s sequence) string {
	cycle := "NO CYCLE"
	if s.cycle {
		cycle = "CYCLE"
	}
	return fmt.Sprintf("INCREMENT BY %d MINVALUE %d MAXVALUE %d START WITH %d CACHE %d %s",
		s.increment, s.min, s.max, s.start, s.cache, cycle)
}

// createTable renders CREATE TABLE for t with its columns only; its
// constraints and indexes come after its rows.
func createTable(c *catalog, t *table) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if t.unlogged {
		b.WriteString("UNLOGGED ")
	}
	b.WriteString("TABLE " + quoteIdent(t.name) + " (")
	for i, col := range t.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("\n    " + quoteIdent(col.name) + " " + col.typ)
		if col.collation != "" {
			b.WriteString(" COLLATE " + col.collation)
		}
		switch {
		case col.generated == "s":
			b.WriteString(" GENERATED ALWAYS AS (" + col.def + ") STORED")
		case col.def != "":
			b.WriteString(" DEFAULT " + col.def)
		}
		if col.notNull {
			b.WriteString(" NOT NULL")
		}
		if col.identity != "" {
			kind := "BY DEFAULT"
			if col.identity == "a" {
				kind = "ALWAYS"
			}
			b.WriteString(" GENERATED " + kind + " AS IDENTITY")
			if s := c.identityOf(t.name, col.name); s != nil {
				b.WriteString(" (SEQUENCE NAME " + quoteIdent(s.name) + " " + sequenceOptions(*s) + ")")
			}
		}
	}
	b.WriteString("\n)")
	if t.options != "" {
		b.WriteString(" WITH (" + t.options + ")")
	}
	return b.String()
}

func addConstraint(t *table, con constraint) string {
	return "ALTER TABLE " + quoteIdent(t.name) + " ADD CONSTRAINT " + quoteIdent(con.name) + " " + con.def
}

func createView(v view) string {
	q := "CREATE VIEW " + quoteIdent(v.name)
	if v.options != "" {
		q += " WITH (" + v.options + ")"
	}
	return q + " AS " + strings.TrimSuffix(strings.TrimSpace(v.def), ";")
}
