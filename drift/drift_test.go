package drift_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
)

// students is the reference table the cases change.
func students() dialect.Table {
	return dialect.Table{
		Name: "students",
		Columns: []dialect.Column{
			{Name: "id", Type: "integer"},
			{Name: "name", Type: "text"},
			{Name: "house", Type: "text", Nullable: true, HasDefault: true, Default: "'red'"},
		},
		PrimaryKey:  []string{"id"},
		Indexes:     []dialect.Index{{Name: "students_name", Columns: []string{"name"}}},
		ForeignKeys: []dialect.ForeignKey{{Name: "students_house", Columns: []string{"house"}, RefTable: "houses", RefColumns: []string{"name"}, OnUpdate: "NO ACTION", OnDelete: "CASCADE"}},
		Checks:      []dialect.Check{{Name: "students_name_set", Expr: "name <> ''"}},
	}
}

func reference() drift.Schema {
	return drift.Schema{
		Tables: []dialect.Table{{Name: "houses", Columns: []dialect.Column{{Name: "name", Type: "text"}}}, students()},
		Views:  []dialect.View{{Name: "rolls", Definition: "SELECT name FROM students"}},
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		change func(*drift.Schema)
		want   []drift.Difference
	}{
		{"identical", func(*drift.Schema) {}, nil},
		{"missing table", func(s *drift.Schema) { s.Tables = s.Tables[1:] },
			[]drift.Difference{{Change: drift.Missing, Object: drift.Table, Name: "houses", Table: "houses", Expected: "table (name)"}}},
		{"extra table", func(s *drift.Schema) {
			s.Tables = append(s.Tables, dialect.Table{Name: "custom_awards", Columns: []dialect.Column{{Name: "id"}, {Name: "title"}}})
		}, []drift.Difference{{Change: drift.Extra, Object: drift.Table, Name: "custom_awards", Table: "custom_awards", Found: "table (id, title)"}}},
		{"extra, missing and changed columns", func(s *drift.Schema) {
			st := &s.Tables[1]
			st.Columns = []dialect.Column{st.Columns[0], {Name: "name", Type: "varchar(20)"}, {Name: "x_colour", Type: "text", Nullable: true}}
		}, []drift.Difference{
			{Change: drift.Missing, Object: drift.Column, Name: "students.house", Table: "students", Expected: "text DEFAULT 'red'"},
			{Change: drift.Changed, Object: drift.Column, Name: "students.name", Table: "students", Expected: "text NOT NULL", Found: "varchar(20) NOT NULL"},
			{Change: drift.Extra, Object: drift.Column, Name: "students.x_colour", Table: "students", Found: "text"},
		}},
		{"primary key", func(s *drift.Schema) { s.Tables[1].PrimaryKey = nil },
			[]drift.Difference{{Change: drift.Missing, Object: drift.PrimaryKey, Name: "students", Table: "students", Expected: "PRIMARY KEY (id)"}}},
		{"index made unique", func(s *drift.Schema) { s.Tables[1].Indexes[0].Unique = true },
			[]drift.Difference{{Change: drift.Changed, Object: drift.Index, Name: "students.students_name", Table: "students",
				Expected: "INDEX (name)", Found: "UNIQUE INDEX (name)"}}},
		{"foreign key dropped", func(s *drift.Schema) { s.Tables[1].ForeignKeys = nil },
			[]drift.Difference{{Change: drift.Missing, Object: drift.ForeignKey, Name: "students.students_house", Table: "students",
				Expected: "FOREIGN KEY (house) REFERENCES houses (name) ON UPDATE NO ACTION ON DELETE CASCADE"}}},
		{"unnamed check added", func(s *drift.Schema) {
			s.Tables[1].Checks = append(s.Tables[1].Checks, dialect.Check{Expr: "id > 0"})
		}, []drift.Difference{{Change: drift.Extra, Object: drift.Check, Name: "students.id > 0", Table: "students", Found: "CHECK (id > 0)"}}},
		{"view changed", func(s *drift.Schema) { s.Views[0].Definition = "SELECT id, name FROM students" },
			[]drift.Difference{{Change: drift.Changed, Object: drift.View, Name: "rolls",
				Expected: "SELECT name FROM students", Found: "SELECT id, name FROM students"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := reference()
			tt.change(&live)
			assert.Equal(t, tt.want, drift.Compare(reference(), live))
		})
	}
}

func TestClassify(t *testing.T) {
	diffs := []drift.Difference{
		{Change: drift.Extra, Object: drift.Table, Name: "custom_awards", Table: "custom_awards"},
		{Change: drift.Extra, Object: drift.Column, Name: "students.x_colour", Table: "students"},
		{Change: drift.Extra, Object: drift.Index, Name: "students.by_house", Table: "students"},
		{Change: drift.Extra, Object: drift.Column, Name: "students.house_colour", Table: "students"},
		{Change: drift.Extra, Object: drift.View, Name: "report_fees"},
		{Change: drift.Missing, Object: drift.Column, Name: "students.house", Table: "students"},
	}
	rules := []drift.Rule{
		{Object: drift.Table, Pattern: "custom_*", Scope: "all"},
		{Object: drift.Column, Pattern: "*.x_*", Scope: "all"},
		{Object: drift.Index, Pattern: "students.*", Scope: "tier enterprise"},
		{Object: drift.Column, Pattern: "students.house_colour", Scope: "tenant st_marys"},
		{Object: drift.View, Pattern: "report_*", Scope: "tier enterprise"},
	}
	got := drift.Classify(diffs, rules)
	want := []string{"all: table custom_*", "all: column *.x_*", "tier enterprise: index students.*",
		"tenant st_marys: column students.house_colour", "tier enterprise: view report_*", ""}
	for i, d := range got {
		assert.Equal(t, want[i], d.Customisation, "%s", d.Name)
		assert.Equal(t, want[i] == "", d.Drift())
	}
	assert.Empty(t, diffs[0].Customisation, "Classify leaves its argument alone")
	// A rule on tables covers what is on them.
	got = drift.Classify(diffs[1:2], []drift.Rule{{Object: drift.Table, Pattern: "stud*", Scope: "all"}})
	assert.Equal(t, "all: table stud*", got[0].Customisation)
}

func TestDifferenceString(t *testing.T) {
	d := drift.Difference{Change: drift.Changed, Object: drift.ForeignKey, Name: "a.b", Expected: "x", Found: "y", Customisation: "all: foreign_key a.*"}
	assert.Equal(t, "changed foreign key a.b: expected x, found y — allowed by all: foreign_key a.*", d.String())
}

func TestFingerprint(t *testing.T) {
	a, b := reference(), reference()
	assert.Equal(t, a.Fingerprint(), b.Fingerprint())
	b.Tables[1].Columns[2].Default = "'blue'"
	assert.NotEqual(t, a.Fingerprint(), b.Fingerprint())
}

// An exact rule allows its difference and no other, even when the name
// holds wildcards.
func TestExactRule(t *testing.T) {
	d := drift.Difference{Change: drift.Extra, Object: drift.Index, Name: "students.x*[1]?", Table: "students"}
	r := drift.ExactRule(d)
	assert.Equal(t, drift.Rule{Object: drift.Index, Pattern: `students.x\*\[1]\?`}, r)
	assert.True(t, r.Allows(d))
	other := d
	other.Name = "students.xyz1a" // what the unescaped pattern would match
	assert.False(t, r.Allows(other))
	fk := drift.Difference{Change: drift.Missing, Object: drift.ForeignKey, Name: "fees.(student_id) → students", Table: "fees"}
	assert.True(t, drift.ExactRule(fk).Allows(fk))
}

func TestNamesReferenceTable(t *testing.T) {
	s := reference()
	for _, tt := range []struct {
		rule drift.Rule
		want bool
	}{
		{drift.Rule{Object: drift.Column, Pattern: "students.x_*"}, true},
		{drift.Rule{Object: drift.Column, Pattern: "*.x_*"}, true},
		{drift.Rule{Object: drift.Index, Pattern: "stud*.by_*"}, true},
		{drift.Rule{Object: drift.Column, Pattern: "studnets.house_colour"}, false},
		{drift.Rule{Object: drift.Table, Pattern: "custom_*"}, true},
		{drift.Rule{Object: drift.View, Pattern: "report_*"}, true},
	} {
		assert.Equal(t, tt.want, tt.rule.NamesReferenceTable(s), "%v", tt.rule)
	}
}
