package dialect

import "errors"

// ErrRebuild is returned by a SchemaWriter method for a change the engine
// cannot make in place (SQLite cannot alter a column or add a
// constraint): the table must be rebuilt (SchemaWriter.RebuildTable).
var ErrRebuild = errors.New("the engine cannot make this change in place: the table must be rebuilt")

// SchemaWriting is an optional capability of a Dialect: DDL rendered from
// the descriptions an Inspector returns, so that a difference between two
// schemas can be written down as the statements that remove it. Every
// herd dialect implements it.
type SchemaWriting interface {
	// SchemaWriter returns the engine's renderer. It is safe for
	// concurrent use.
	SchemaWriter() SchemaWriter
}

// SchemaWriter renders DDL statements (without a final semicolon) from
// the descriptions of Table, Column, Index, ForeignKey, Check and View,
// with every identifier quoted. Names are unqualified: the statements are
// meant to run on the database (or with the schema) the descriptions
// came from. The renderings are for a person to review: herd does not run
// them. Each method fails with ErrRebuild when the engine cannot make the
// change in place, and with another error when a description lacks what
// the statement needs (an expression the engine does not report, say).
type SchemaWriter interface {
	// CreateTable creates t with its columns, primary key, checks and
	// foreign keys, then its indexes. Tables t references must exist
	// first on engines that check (PostgreSQL, MySQL).
	CreateTable(t Table) ([]string, error)
	// DropTable drops table name.
	DropTable(name string) string
	// AddColumn adds c to table.
	AddColumn(table string, c Column) ([]string, error)
	// DropColumn drops column of table.
	DropColumn(table, column string) (string, error)
	// AlterColumn changes column from into to (same name) on table.
	AlterColumn(table string, from, to Column) ([]string, error)
	// SetPrimaryKey replaces table's primary key (from, empty when it has
	// none) by to (empty to leave it without one).
	SetPrimaryKey(table string, from, to []string) ([]string, error)
	// CreateIndex creates index i on table.
	CreateIndex(table string, i Index) (string, error)
	// DropIndex drops index i of table.
	DropIndex(table string, i Index) (string, error)
	// AddForeignKey adds fk to table.
	AddForeignKey(table string, fk ForeignKey) (string, error)
	// DropForeignKey drops fk of table.
	DropForeignKey(table string, fk ForeignKey) (string, error)
	// AddCheck adds check c to table.
	AddCheck(table string, c Check) (string, error)
	// DropCheck drops check c of table.
	DropCheck(table string, c Check) (string, error)
	// CreateView creates view v.
	CreateView(v View) (string, error)
	// DropView drops view name.
	DropView(name string) string
	// RebuildTable turns table from into to (same name) by the table
	// rebuild SQLite documents (https://sqlite.org/lang_altertable.html,
	// "making other kinds of table schema changes"): create the new
	// table, copy the rows of the columns both have, drop the old table,
	// rename the new one, create its indexes. Views on the table are left
	// as they are.
	RebuildTable(from, to Table) ([]string, error)
}
