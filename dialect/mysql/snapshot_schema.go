package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/dialect/internal/inspect"
	"github.com/herdhq/herd/dialect/internal/snapcopy"
)

var _ dialect.Inspector = (*Dialect)(nil)

// Each information_schema table of a join below is filtered by the schema
// as a constant (the schema is passed once per table), and the join does
// not compare the tables' schema columns: filtered through the join, or
// with the schemas also compared in it, MariaDB scans every database on
// the server for the joined table ("Scanned all databases" in EXPLAIN):
// 30 to 100 ms a query on a MariaDB 10.11 of 124 databases, against 1 to
// 3 ms when it reads one.
const columnsSQL = `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, COALESCE(c.COLLATION_NAME, ''), c.IS_NULLABLE = 'YES',
	c.COLUMN_DEFAULT, c.EXTRA, COALESCE(c.GENERATION_EXPRESSION, '')
FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
WHERE c.TABLE_SCHEMA = ? AND t.TABLE_SCHEMA = ? ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`

const indexesSQL = `SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE = 0, COALESCE(s.COLUMN_NAME, ''), s.SUB_PART,
	COALESCE(s.COLLATION, ''), s.INDEX_TYPE
FROM information_schema.STATISTICS s
JOIN information_schema.TABLES t ON t.TABLE_NAME = s.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE'
WHERE s.TABLE_SCHEMA = ? AND t.TABLE_SCHEMA = ? ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX`

const foreignKeysSQL = `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME,
	k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = ? AND r.CONSTRAINT_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`

// MariaDB's CHECK_CONSTRAINTS names the table (its column-level checks
// are named after the column, so names repeat across tables); MySQL's
// does not, and its TABLE_CONSTRAINTS does. MariaDB says its name in
// VERSION(), which is far cheaper to ask than information_schema.COLUMNS
// whether CHECK_CONSTRAINTS has a TABLE_NAME (which took 0.75 ms a
// tenant on MariaDB 10.11).
const (
	isMariaDBSQL   = `SELECT VERSION() LIKE '%MariaDB%'`
	mariaChecksSQL = `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ?`
	mysqlChecksSQL = `SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.CONSTRAINT_SCHEMA = ? AND cc.CONSTRAINT_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'`
)

// Tables describes the base tables of database db.Schema (of the
// connection's current database when it is ""), from information_schema.
// Column types are COLUMN_TYPE with the column's collation; defaults are
// COLUMN_DEFAULT as the server reports it; Generated is EXTRA in lower
// case ("auto_increment", "on update current_timestamp()", "stored
// generated") with the generation expression. Index parts carry their
// prefix length and DESC; an index's Definition is its type (USING BTREE).
func (d *Dialect) Tables(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.Table, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return nil, err
	}
	tables, err := describe(ctx, q, schema)
	if err != nil {
		return nil, fmt.Errorf("mysql: inspect %q: %w", db.Name, err)
	}
	return tables, nil
}

func describe(ctx context.Context, db dialect.Queryer, schema string) ([]dialect.Table, error) {
	var b inspect.Builder
	err := snapcopy.Each(ctx, db, columnsSQL, []any{schema, schema}, func(r *sql.Rows) error {
		var (
			table, collation, extra, expr string
			c                             dialect.Column
			def                           sql.NullString
		)
		if err := r.Scan(&table, &c.Name, &c.Type, &collation, &c.Nullable, &def, &extra, &expr); err != nil {
			return err
		}
		if collation != "" {
			c.Type += " COLLATE " + collation
		}
		c.HasDefault, c.Default = def.Valid, def.String
		c.Generated = strings.ToLower(extra)
		if expr != "" {
			c.Generated += ": " + expr
		}
		b.Column(table, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	err = snapcopy.Each(ctx, db, indexesSQL, []any{schema, schema}, func(r *sql.Rows) error {
		var (
			table, name, column, collation, kind string
			unique                               bool
			subPart                              sql.NullInt64
		)
		if err := r.Scan(&table, &name, &unique, &column, &subPart, &collation, &kind); err != nil {
			return err
		}
		if name == "PRIMARY" {
			b.PrimaryKey(table, column)
			return nil
		}
		part := column
		if part == "" {
			part = "(expression)"
		}
		if subPart.Valid {
			part += "(" + strconv.FormatInt(subPart.Int64, 10) + ")"
		}
		if collation == "D" {
			part += " DESC"
		}
		b.IndexPart(table, name, unique, part, "USING "+kind)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	err = snapcopy.Each(ctx, db, foreignKeysSQL, []any{schema, schema}, func(r *sql.Rows) error {
		var table, name, column, refSchema, refTable, refColumn, onUpdate, onDelete string
		if err := r.Scan(&table, &name, &column, &refSchema, &refTable, &refColumn, &onUpdate, &onDelete); err != nil {
			return err
		}
		if refSchema != schema {
			refTable = refSchema + "." + refTable
		}
		b.ForeignKeyPart(table, name, name, column, refTable, refColumn, onUpdate, onDelete)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	var mariaDB bool
	if err := db.QueryRowContext(ctx, isMariaDBSQL).Scan(&mariaDB); err != nil {
		return nil, fmt.Errorf("read check constraints: %w", err)
	}
	checks, args := mysqlChecksSQL, []any{schema, schema}
	if mariaDB {
		checks, args = mariaChecksSQL, []any{schema}
	}
	err = snapcopy.Each(ctx, db, checks, args, func(r *sql.Rows) error {
		var table, name, expr string
		if err := r.Scan(&table, &name, &expr); err != nil {
			return err
		}
		b.Check(table, name, expr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read check constraints: %w", err)
	}
	return b.Tables(), nil
}

// Views describes the views of database db.Schema (of the connection's
// current database when it is ""), each as information_schema.VIEWS
// holds its query, without the database's own name, which the server
// puts before every column and table.
func (d *Dialect) Views(ctx context.Context, q dialect.Queryer, db *dialect.Database) ([]dialect.View, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return nil, err
	}
	views, err := inspect.Views(ctx, q, "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
		[]any{schema}, d.QuoteIdent(schema)+".")
	if err != nil {
		return nil, fmt.Errorf("mysql: inspect %q: %w", db.Name, err)
	}
	return views, nil
}

// HasTables reports whether database db.Schema (the connection's current
// database when it is "") holds a base table or view whose name does not
// begin with except: one query of information_schema.TABLES that reads
// names and types only, which the server answers without opening the
// tables.
func (d *Dialect) HasTables(ctx context.Context, q dialect.Queryer, db *dialect.Database, except string) (bool, error) {
	schema, err := schemaOf(ctx, q, db)
	if err != nil {
		return false, err
	}
	var has bool
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ? AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) <> ?)`, schema, except, except).Scan(&has)
	if err != nil {
		return false, fmt.Errorf("mysql: inspect %q: %w", db.Name, err)
	}
	return has, nil
}

// schemaOf is the database db's description reads: db.Schema, or the
// connection's current database when that is "".
func schemaOf(ctx context.Context, q dialect.RowQuerier, db *dialect.Database) (string, error) {
	if db.Schema != "" {
		return db.Schema, nil
	}
	var current sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&current); err != nil {
		return "", fmt.Errorf("mysql: inspect %q: %w", db.Name, err)
	}
	return current.String, nil
}
