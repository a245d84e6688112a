package inspect

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

func TestBuilder(t *testing.T) {
	t.Parallel()
	var b Builder
	require.Empty(t, b.Tables())

	b.Table("empty")
	b.Column("students", dialect.Column{Name: "id", Type: "bigint"})
	b.Column("students", dialect.Column{Name: "class_id", Type: "bigint", Nullable: true})
	b.PrimaryKey("students", "id")
	b.IndexPart("students", "z_idx", false, "class_id", "")
	b.IndexPart("students", "a_idx", true, "class_id", "")
	b.IndexPart("students", "a_idx", true, "id DESC", "")
	b.ForeignKeyPart("students", "2", "", "class_id", "classes", "id", "no action", "CASCADE")
	b.ForeignKeyPart("students", "1", "", "a", "x", "p", "", "set_null")
	b.ForeignKeyPart("students", "1", "", "b", "x", "q", "", "set_null")
	b.Check("students", "b", "id > 0")
	b.Check("students", "a", "class_id > 0")

	tables := b.Tables()
	require.Len(t, tables, 2)
	require.Equal(t, dialect.Table{Name: "empty"}, tables[0])
	s := tables[1]
	require.Equal(t, "students", s.Name)
	require.Equal(t, []string{"id", "class_id"}, []string{s.Columns[0].Name, s.Columns[1].Name}, "columns keep their order")
	require.Equal(t, []string{"id"}, s.PrimaryKey)
	require.Equal(t, []dialect.Index{
		{Name: "a_idx", Unique: true, Columns: []string{"class_id", "id DESC"}},
		{Name: "z_idx", Columns: []string{"class_id"}},
	}, s.Indexes)
	require.Equal(t, []dialect.ForeignKey{
		{Columns: []string{"a", "b"}, RefTable: "x", RefColumns: []string{"p", "q"}, OnDelete: "SET NULL"},
		{Columns: []string{"class_id"}, RefTable: "classes", RefColumns: []string{"id"}, OnUpdate: "NO ACTION", OnDelete: "CASCADE"},
	}, s.ForeignKeys, "unnamed keys sort by columns; composite keys are grouped")
	require.Equal(t, []dialect.Check{{Name: "a", Expr: "class_id > 0"}, {Name: "b", Expr: "id > 0"}}, s.Checks)
}

func TestAction(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "CASCADE": "CASCADE", "no action": "NO ACTION", "SET_NULL": "SET NULL", " set  default ": "SET DEFAULT",
	} {
		require.Equal(t, want, Action(in), in)
	}
}
