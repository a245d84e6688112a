package snapshot

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/dialect"
)

func students() dialect.Table {
	return dialect.Table{
		Name: "students",
		Columns: []dialect.Column{
			{Name: "id", Type: "bigint", Generated: "identity by default"},
			{Name: "name", Type: "varchar(100)"},
			{Name: "status", Type: "varchar(20)", HasDefault: true, Default: "'active'"},
		},
		PrimaryKey:  []string{"id"},
		Indexes:     []dialect.Index{{Name: "students_name", Columns: []string{"name"}}},
		ForeignKeys: []dialect.ForeignKey{{Name: "fk_class", Columns: []string{"class_id"}, RefTable: "classes", RefColumns: []string{"id"}, OnDelete: "CASCADE"}},
		Checks:      []dialect.Check{{Name: "status_check", Expr: "status IN ('active')"}},
	}
}

func TestCompareTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*dialect.Table)
		want   []string
	}{
		{"equal", func(*dialect.Table) {}, nil},
		{"column type", func(t *dialect.Table) { t.Columns[1].Type = "text" },
			[]string{`column "name": type varchar(100) in "a", text in "b"`}},
		{"nullability", func(t *dialect.Table) { t.Columns[1].Nullable = true },
			[]string{`column "name": NOT NULL in "a", NULL in "b"`}},
		{"default", func(t *dialect.Table) { t.Columns[2].HasDefault, t.Columns[2].Default = false, "" },
			[]string{`column "status": default 'active' in "a", (none) in "b"`}},
		{"empty default is a default", func(t *dialect.Table) { t.Columns[2].Default = "" },
			[]string{`column "status": default 'active' in "a",  in "b"`}},
		{"generated", func(t *dialect.Table) { t.Columns[0].Generated = "" },
			[]string{`column "id": generated identity by default in "a", (no) in "b"`}},
		{"column missing", func(t *dialect.Table) { t.Columns = t.Columns[:2] },
			[]string{`column "status" only in "a"`}},
		{"column added", func(t *dialect.Table) { t.Columns = append(t.Columns, dialect.Column{Name: "note", Type: "text"}) },
			[]string{`column "note" only in "b"`}},
		{"column order", func(t *dialect.Table) { t.Columns[1], t.Columns[2] = t.Columns[2], t.Columns[1] },
			[]string{`column order (id, name, status) in "a", (id, status, name) in "b"`}},
		{"primary key", func(t *dialect.Table) { t.PrimaryKey = nil },
			[]string{`primary key (id) in "a", (none) in "b"`}},
		{"index unique", func(t *dialect.Table) { t.Indexes[0].Unique = true },
			[]string{`index "students_name": students_name (name) in "a", unique students_name (name) in "b"`}},
		{"index missing", func(t *dialect.Table) { t.Indexes = nil },
			[]string{`index students_name (name) only in "a"`}},
		{"foreign key action", func(t *dialect.Table) { t.ForeignKeys[0].OnDelete = "RESTRICT" },
			[]string{`foreign key "fk_class": fk_class (class_id) REFERENCES classes (id) ON DELETE CASCADE in "a", ` +
				`fk_class (class_id) REFERENCES classes (id) ON DELETE RESTRICT in "b"`}},
		{"check", func(t *dialect.Table) { t.Checks[0].Expr = "true" },
			[]string{`check "status_check": CHECK status IN ('active') in "a", CHECK true in "b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := students()
			tc.change(&b)
			require.Equal(t, tc.want, compareTable(students(), b, "a", "b"))
		})
	}
}

func TestCompareUnnamedForeignKeys(t *testing.T) {
	t.Parallel()
	a := dialect.Table{Name: "t", ForeignKeys: []dialect.ForeignKey{{Columns: []string{"x"}, RefTable: "u", RefColumns: []string{"id"}}}}
	b := dialect.Table{Name: "t", ForeignKeys: []dialect.ForeignKey{{Columns: []string{"y"}, RefTable: "u", RefColumns: []string{"id"}}}}
	require.Equal(t, []string{
		`foreign key (x) REFERENCES u (id) only in "a"`,
		`foreign key (y) REFERENCES u (id) only in "b"`,
	}, compareTable(a, b, "a", "b"))
}

func TestPairTablesAndCommonColumns(t *testing.T) {
	t.Parallel()
	pairs := pairTables(
		[]dialect.Table{{Name: "b"}, {Name: "c"}},
		[]dialect.Table{{Name: "a"}, {Name: "b"}},
	)
	require.Len(t, pairs, 3)
	require.Nil(t, pairs[0].a)
	require.Equal(t, "a", pairs[0].b.Name)
	require.Equal(t, "b", pairs[1].a.Name)
	require.Equal(t, "b", pairs[1].b.Name)
	require.Nil(t, pairs[2].b)

	cols := func(names ...string) []dialect.Column {
		var out []dialect.Column
		for _, n := range names {
			out = append(out, dialect.Column{Name: n})
		}
		return out
	}
	require.Equal(t, []string{"a", "z"}, commonColumns(cols("z", "a", "only_a"), cols("a", "only_b", "z")))
}

func TestDiffErrorMessage(t *testing.T) {
	t.Parallel()
	err := &DiffError{A: "t1", B: "t1_s0badcafe", Differences: []Difference{
		{Table: "students", What: `column "x" only in "t1"`},
		{Table: "students", What: "rows differ"},
	}}
	require.Equal(t, "snapshot: \"t1\" and \"t1_s0badcafe\" differ\n"+
		"  table \"students\": column \"x\" only in \"t1\"\n"+
		"  table \"students\": rows differ", err.Error())
}
