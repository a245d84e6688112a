package mysql

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

// MySQL's renderings: EXTRA's clauses, index parts with prefixes, indexes
// inside CREATE TABLE, MODIFY COLUMN.
func TestSchemaWriter(t *testing.T) {
	t.Parallel()
	w := New().SchemaWriter()
	got, err := w.CreateTable(dialect.Table{
		Name: "fees",
		Columns: []dialect.Column{
			{Name: "id", Type: "int(11)", Generated: "auto_increment"},
			{Name: "note", Type: "varchar(200)", Nullable: true, HasDefault: true, Default: "NULL"},
			{Name: "twice", Type: "int(11)", Nullable: true, Generated: "stored generated: `id` * 2"},
			{Name: "at", Type: "timestamp", HasDefault: true, Default: "current_timestamp()", Generated: "on update current_timestamp()"},
		},
		PrimaryKey:  []string{"id"},
		Indexes:     []dialect.Index{{Name: "by_note", Columns: []string{"note(10) DESC"}, Definition: "USING BTREE"}},
		ForeignKeys: []dialect.ForeignKey{{Name: "fk", Columns: []string{"id"}, RefTable: "other.t", RefColumns: []string{"id"}, OnUpdate: "RESTRICT", OnDelete: "CASCADE"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"CREATE TABLE `fees` (\n" +
		"    `id` int(11) NOT NULL AUTO_INCREMENT,\n" +
		"    `note` varchar(200) DEFAULT NULL,\n" +
		"    `twice` int(11) GENERATED ALWAYS AS (`id` * 2) STORED,\n" +
		"    `at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n" +
		"    PRIMARY KEY (`id`),\n" +
		"    KEY `by_note` (`note`(10) DESC),\n" +
		"    CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `other`.`t` (`id`) ON UPDATE RESTRICT ON DELETE CASCADE\n" +
		")"}, got)

	alter, err := w.AlterColumn("fees", dialect.Column{Name: "note", Type: "text"}, dialect.Column{Name: "note", Type: "varchar(10)"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ALTER TABLE `fees` MODIFY COLUMN `note` varchar(10) NOT NULL"}, alter)
	_, err = w.CreateIndex("fees", dialect.Index{Name: "e", Columns: []string{"(expression)"}})
	assert.Error(t, err, "an expression index cannot be written from its description")
}
