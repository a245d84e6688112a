package sqlite

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// SQLite adds what ALTER TABLE ADD COLUMN can take and asks for a rebuild
// for everything else on an existing table.
func TestSchemaWriter(t *testing.T) {
	t.Parallel()
	w := New().SchemaWriter()
	got, err := w.AddColumn("t", dialect.Column{Name: "n", Type: "INTEGER", HasDefault: true, Default: "0"})
	require.NoError(t, err)
	assert.Equal(t, []string{`ALTER TABLE "t" ADD COLUMN "n" INTEGER NOT NULL DEFAULT 0`}, got)
	for name, c := range map[string]dialect.Column{
		"NOT NULL without a default": {Name: "n", Type: "INTEGER"},
		"an expression default":      {Name: "n", Type: "TEXT", Nullable: true, HasDefault: true, Default: "(datetime('now'))"},
		"CURRENT_TIMESTAMP":          {Name: "n", Type: "TEXT", Nullable: true, HasDefault: true, Default: "CURRENT_TIMESTAMP"},
	} {
		_, err := w.AddColumn("t", c)
		assert.True(t, errors.Is(err, dialect.ErrRebuild), "%s: %v", name, err)
	}
	_, err = w.AlterColumn("t", dialect.Column{Name: "n"}, dialect.Column{Name: "n", Nullable: true})
	assert.ErrorIs(t, err, dialect.ErrRebuild)
	_, err = w.AddCheck("t", dialect.Check{Expr: "n > 0"})
	assert.ErrorIs(t, err, dialect.ErrRebuild)
	_, err = w.CreateIndex("t", dialect.Index{Name: "sqlite_autoindex_t_1", Unique: true, Columns: []string{"n"}})
	assert.ErrorIs(t, err, dialect.ErrRebuild, "a UNIQUE constraint's index only comes with the table")

	table, err := w.CreateTable(dialect.Table{Name: "t",
		Columns:    []dialect.Column{{Name: "id", Type: "INTEGER", Generated: "autoincrement"}, {Name: "n", Type: "TEXT", Nullable: true}},
		PrimaryKey: []string{"id"},
		Indexes: []dialect.Index{{Name: "sqlite_autoindex_t_1", Unique: true, Columns: []string{"n COLLATE NOCASE"}},
			{Name: "t_n", Columns: []string{"n"}, Definition: "CREATE INDEX t_n ON t (n)"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"CREATE TABLE \"t\" (\n" +
		"    \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n" +
		"    \"n\" TEXT,\n" +
		"    CONSTRAINT \"sqlite_autoindex_t_1\" UNIQUE (\"n\" COLLATE NOCASE)\n" +
		")", "CREATE INDEX t_n ON t (n)"}, table)
}
