package drift_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/internal/locklint"
	"github.com/herdhq/herd/internal/sqlsplit"
)

func TestCreates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stmt   string
		object drift.Object
		name   string
	}{
		{"CREATE TABLE custom_awards (id INT)", drift.Table, "custom_awards"},
		{"CREATE TABLE IF NOT EXISTS s.custom_awards (id INT)", drift.Table, "custom_awards"},
		{"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS by_name ON students (name)", drift.Index, "students.by_name"},
		{"CREATE OR REPLACE VIEW rolls AS SELECT 1", drift.View, "rolls"},
		{"ALTER TABLE students ADD COLUMN email VARCHAR(200)", drift.Column, "students.email"},
		{"ALTER TABLE students ADD email VARCHAR(200)", drift.Column, "students.email"},
		{"ALTER TABLE students ADD COLUMN IF NOT EXISTS email TEXT", drift.Column, "students.email"},
		{"ALTER TABLE students ADD CONSTRAINT students_house FOREIGN KEY (house_id) REFERENCES houses (id)", drift.ForeignKey, "students.students_house"},
		{"ALTER TABLE students ADD CONSTRAINT name_set CHECK (name <> '')", drift.Check, "students.name_set"},
		{"ALTER TABLE students ADD PRIMARY KEY (id)", "", ""},
		{"ALTER TABLE students ADD COLUMN a INT, ADD COLUMN b INT", "", ""},
		{"ALTER TABLE students DROP COLUMN email", "", ""},
		{"CREATE INDEX ON students (name)", "", ""},
		{"UPDATE students SET name = 'x'", "", ""},
	}
	for _, tt := range tests {
		toks, err := sqlsplit.Tokens(tt.stmt, sqlsplit.Postgres)
		require.NoError(t, err)
		object, name, ok := drift.Creates(locklint.Tokens(toks))
		assert.Equal(t, tt.object != "", ok, tt.stmt)
		assert.Equal(t, tt.object, object, tt.stmt)
		assert.Equal(t, tt.name, name, tt.stmt)
	}
}

func TestDescribe(t *testing.T) {
	s := reference()
	for _, tt := range []struct {
		object drift.Object
		name   string
		want   string
	}{
		{drift.Column, "students.house", "text DEFAULT 'red'"},
		{drift.Column, "Students.House", "text DEFAULT 'red'"},
		{drift.Index, "students.students_name", "INDEX (name)"},
		{drift.Check, "students.students_name_set", "CHECK (name <> '')"},
		{drift.ForeignKey, "students.students_house", "FOREIGN KEY (house) REFERENCES houses (name) ON UPDATE NO ACTION ON DELETE CASCADE"},
		{drift.View, "rolls", "SELECT name FROM students"},
	} {
		got, ok := s.Describe(tt.object, tt.name)
		assert.True(t, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
	_, ok := s.Describe(drift.Column, "students.nothing")
	assert.False(t, ok)
	a, ok := s.Describe(drift.Table, "houses")
	require.True(t, ok)
	other := reference()
	other.Tables[0].Columns = append(other.Tables[0].Columns, dialect.Column{Name: "motto"})
	b, _ := other.Describe(drift.Table, "houses")
	assert.NotEqual(t, a, b, "a table with another column describes differently")
}

func TestTouches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stmt string
		want []drift.Touched
	}{
		{"ALTER TABLE students DROP COLUMN email", []drift.Touched{{Object: drift.Column, Name: "students.email", Table: "students"}}},
		{"ALTER TABLE students DROP IF EXISTS email, RENAME COLUMN name TO full_name", []drift.Touched{
			{Object: drift.Column, Name: "students.email", Table: "students"},
			{Object: drift.Column, Name: "students.name", Table: "students"}}},
		{"ALTER TABLE students ALTER COLUMN name TYPE text", []drift.Touched{{Object: drift.Column, Name: "students.name", Table: "students"}}},
		{"ALTER TABLE houses RENAME TO dorms", []drift.Touched{{Object: drift.Table, Name: "houses", Table: "houses"}}},
		{"ALTER TABLE students DROP CONSTRAINT students_house", []drift.Touched{
			{Object: drift.ForeignKey, Name: "students.students_house", Table: "students"},
			{Object: drift.Check, Name: "students.students_house", Table: "students"}}},
		{"DROP TABLE IF EXISTS a, b", []drift.Touched{{Object: drift.Table, Name: "a", Table: "a"}, {Object: drift.Table, Name: "b", Table: "b"}}},
		{"DROP VIEW rolls", []drift.Touched{{Object: drift.View, Name: "rolls"}}},
		{"ALTER TABLE students ADD COLUMN x INT", nil},
		{"ALTER TABLE students DROP PRIMARY KEY", nil},
		{"DROP INDEX by_name", nil},
	}
	for _, tt := range tests {
		toks, err := sqlsplit.Tokens(tt.stmt, sqlsplit.Postgres)
		require.NoError(t, err)
		assert.Equal(t, tt.want, drift.Touches(locklint.Tokens(toks)), tt.stmt)
	}
}
