package herd_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/internal/herdtest"
)

// driftSQLSource is driftSource up to v1.1.0 (students have an email),
// then a v1.2.0 that adds a table with a foreign key, a check, a default
// and a unique index, a table nothing references, and a second view.
func driftSQLSource() fstest.MapFS {
	src := driftSource()
	for name := range src {
		if !strings.HasPrefix(name, "tenant/v1.0.0/") && !strings.HasPrefix(name, "tenant/v1.1.0/") {
			delete(src, name)
		}
	}
	src["tenant/v1.2.0/003_fees.up.sql"] = file(`CREATE TABLE rooms (id INTEGER PRIMARY KEY, label VARCHAR(20) NOT NULL);
CREATE TABLE fees (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL,
    house_id INTEGER,
    amount INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT fees_student FOREIGN KEY (student_id) REFERENCES students (id),
    CONSTRAINT fees_amount_positive CHECK (amount >= 0)
);
CREATE UNIQUE INDEX fees_by_amount ON fees (amount, id);
CREATE VIEW house_names AS SELECT name FROM houses;
CREATE TABLE terms (code VARCHAR(10) NOT NULL, title VARCHAR(40) DEFAULT 'x', PRIMARY KEY (code));`)
	src["tenant/v1.2.0/003_fees.down.sql"] = file("DROP TABLE terms;\nDROP VIEW house_names;\nDROP TABLE fees;\nDROP TABLE rooms;")
	return src
}

// driftEverything makes, on a tenant of driftSQLSource at v1.2.0, every
// kind of drift: a missing (rooms) and an extra (stray) table; a missing
// (students.email), an extra (students.nickname) and a changed
// (houses.name) column; a missing (students_by_name), an extra
// (students_extra) and a changed (fees_by_amount, no longer unique)
// index; a missing (fees → students), an extra (fees → houses) and a
// changed (students → houses, now ON DELETE CASCADE) foreign key; a
// missing (fees_amount_positive), an extra (houses_named) and a changed
// (students_name_set) check; a missing (rolls), an extra (stray_names)
// and a changed (house_names) view; a changed primary key (terms, now
// (code, title)) with its column's nullability and default changed. It
// also makes the customisations
// driftSQLYAML allows: a table custom_awards, a column
// students.house_colour and an index students.x_by_colour. SQLite, which
// cannot alter a table in place, gets its tables rebuilt by hand.
var driftEverything = map[string]string{
	"sqlite": `PRAGMA foreign_keys = OFF;
DROP TABLE rooms;
CREATE TABLE stray (id INTEGER PRIMARY KEY);
CREATE TABLE custom_awards (id INTEGER PRIMARY KEY, title VARCHAR(80));
DROP VIEW rolls;
DROP VIEW house_names;
CREATE TABLE houses_new (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL, CONSTRAINT houses_named CHECK (name <> ''));
INSERT INTO houses_new SELECT id, name FROM houses;
DROP TABLE houses;
ALTER TABLE houses_new RENAME TO houses;
CREATE TABLE students_new (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, house_id INTEGER, nickname VARCHAR(20),
    house_colour VARCHAR(20),
    CONSTRAINT students_house FOREIGN KEY (house_id) REFERENCES houses (id) ON DELETE CASCADE,
    CONSTRAINT students_name_set CHECK (name <> 'x'));
INSERT INTO students_new (id, name, house_id) SELECT id, name, house_id FROM students;
DROP TABLE students;
ALTER TABLE students_new RENAME TO students;
CREATE INDEX students_extra ON students (name, house_id);
CREATE INDEX x_by_colour ON students (house_colour);
CREATE TABLE fees_new (id INTEGER PRIMARY KEY, student_id INTEGER NOT NULL, house_id INTEGER, amount INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT fees_house FOREIGN KEY (house_id) REFERENCES houses (id));
INSERT INTO fees_new SELECT id, student_id, house_id, amount FROM fees;
DROP TABLE fees;
ALTER TABLE fees_new RENAME TO fees;
CREATE INDEX fees_by_amount ON fees (amount, id);
CREATE VIEW house_names AS SELECT name FROM houses WHERE id > 0;
CREATE VIEW stray_names AS SELECT id FROM stray;
CREATE TABLE terms_new (code VARCHAR(10) NOT NULL, title VARCHAR(40) NOT NULL DEFAULT 'y', PRIMARY KEY (code, title));
INSERT INTO terms_new SELECT code, title FROM terms;
DROP TABLE terms;
ALTER TABLE terms_new RENAME TO terms;
PRAGMA foreign_keys = ON;`,
	"postgres": `DROP TABLE rooms;
CREATE TABLE stray (id INTEGER PRIMARY KEY);
CREATE TABLE custom_awards (id INTEGER PRIMARY KEY, title VARCHAR(80));
DROP VIEW rolls;
DROP VIEW house_names;
ALTER TABLE houses ALTER COLUMN name TYPE VARCHAR(60);
CREATE VIEW house_names AS SELECT name FROM houses WHERE id > 0;
CREATE VIEW stray_names AS SELECT id FROM stray;
ALTER TABLE students DROP COLUMN email;
ALTER TABLE students ADD COLUMN nickname VARCHAR(20);
ALTER TABLE students ADD COLUMN house_colour VARCHAR(20);
CREATE INDEX x_by_colour ON students (house_colour);
DROP INDEX students_by_name;
CREATE INDEX students_extra ON students (name, house_id);
DROP INDEX fees_by_amount;
CREATE INDEX fees_by_amount ON fees (amount, id);
ALTER TABLE fees DROP CONSTRAINT fees_student;
ALTER TABLE fees ADD CONSTRAINT fees_house FOREIGN KEY (house_id) REFERENCES houses (id);
ALTER TABLE students DROP CONSTRAINT students_house;
ALTER TABLE students ADD CONSTRAINT students_house FOREIGN KEY (house_id) REFERENCES houses (id) ON DELETE CASCADE;
ALTER TABLE fees DROP CONSTRAINT fees_amount_positive;
ALTER TABLE houses ADD CONSTRAINT houses_named CHECK (name <> '');
ALTER TABLE students DROP CONSTRAINT students_name_set;
ALTER TABLE students ADD CONSTRAINT students_name_set CHECK (name <> 'x');
ALTER TABLE terms DROP CONSTRAINT terms_pkey;
ALTER TABLE terms ALTER COLUMN title SET DEFAULT 'y';
ALTER TABLE terms ALTER COLUMN title SET NOT NULL;
ALTER TABLE terms ADD PRIMARY KEY (code, title);`,
	"mysql": `DROP TABLE rooms;
CREATE TABLE stray (id INTEGER PRIMARY KEY);
CREATE TABLE custom_awards (id INTEGER PRIMARY KEY, title VARCHAR(80));
DROP VIEW rolls;
DROP VIEW house_names;
ALTER TABLE houses MODIFY name VARCHAR(60) NOT NULL;
CREATE VIEW house_names AS SELECT name FROM houses WHERE id > 0;
CREATE VIEW stray_names AS SELECT id FROM stray;
ALTER TABLE students DROP COLUMN email;
ALTER TABLE students ADD COLUMN nickname VARCHAR(20);
ALTER TABLE students ADD COLUMN house_colour VARCHAR(20);
CREATE INDEX x_by_colour ON students (house_colour);
DROP INDEX students_by_name ON students;
CREATE INDEX students_extra ON students (name, house_id);
DROP INDEX fees_by_amount ON fees;
CREATE INDEX fees_by_amount ON fees (amount, id);
ALTER TABLE fees DROP FOREIGN KEY fees_student;
ALTER TABLE fees ADD CONSTRAINT fees_house FOREIGN KEY (house_id) REFERENCES houses (id);
ALTER TABLE students DROP FOREIGN KEY students_house;
ALTER TABLE students ADD CONSTRAINT students_house FOREIGN KEY (house_id) REFERENCES houses (id) ON DELETE CASCADE;
ALTER TABLE fees DROP CONSTRAINT fees_amount_positive;
ALTER TABLE houses ADD CONSTRAINT houses_named CHECK (name <> '');
ALTER TABLE students DROP CONSTRAINT students_name_set;
ALTER TABLE students ADD CONSTRAINT students_name_set CHECK (name <> 'x');
ALTER TABLE terms DROP PRIMARY KEY;
ALTER TABLE terms MODIFY title VARCHAR(40) NOT NULL DEFAULT 'y';
ALTER TABLE terms ADD PRIMARY KEY (code, title);`,
}

// driftSQLYAML allows the tenant's three customisations.
const driftSQLYAML = `customisations:
  all: [{table: "custom_*"}]
  tenants:
    fixme: [{column: students.house_colour}, {index: "students.x_*"}]
`

// herd drift --sql prints the statements that, run on the tenant, remove
// every kind of drift (missing, extra and changed tables, columns,
// indexes, foreign keys, checks and views) and leave its customisations
// and its rows where they were.
func TestDriftSQL(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSQLSource())
		b.scratch.WriteConfig(t, b.scratch.Config(driftSQLYAML))
		b.reopen()
		b.addTenant("fixme")
		require.NoError(t, b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "fixme"}, "1.2.0", 1))
		_, err := b.fleet.SeedTenant(b.ctx, "fixme", `INSERT INTO houses (id, name) VALUES (1, 'Red');
INSERT INTO students (id, name, house_id) VALUES (1, 'Ann', 1);
INSERT INTO fees (id, student_id, house_id, amount) VALUES (1, 1, 1, 25);
INSERT INTO terms (code, title) VALUES ('T1', 'Autumn');`)
		require.NoError(t, err)

		script, err := b.fleet.DriftSQL(b.ctx, "fixme")
		require.NoError(t, err)
		assert.Contains(t, script, "no drift", "a tenant as its reference needs nothing")

		runScript(t, b, "fixme", driftEverything[e.Name])
		d, err := b.fleet.Drift(b.ctx, "fixme")
		require.NoError(t, err)
		kinds := map[string]bool{}
		for _, diff := range d.Differences {
			if diff.Drift() {
				kinds[string(diff.Change)+" "+string(diff.Object)] = true
			}
		}
		for _, object := range []string{"table", "column", "index", "foreign_key", "check", "view"} {
			for _, change := range []string{"missing", "extra", "changed"} {
				if object == "table" && change == "changed" {
					continue // a changed table is changes to what is on it
				}
				assert.True(t, kinds[change+" "+object], "%s %s drift made: %v", change, object, d.Differences)
			}
		}
		assert.True(t, kinds["changed primary_key"], "changed primary key made: %v", d.Differences)
		want := customisations(d)

		script, err = b.fleet.DriftSQL(b.ctx, "fixme")
		require.NoError(t, err)
		t.Log(script)
		assert.NotContains(t, script, "BY HAND")
		assert.Contains(t, script, "-- Rehearsed on a copy of the tenant's schema without its rows: every statement ran")
		assert.NotContains(t, script, `DROP INDEX "x_by_colour"`, "customisations are left alone")
		out := cliAt(t, b.scratch.ConfigPath)(0, "drift", "--tenant", "fixme", "--sql")
		assert.Equal(t, script, out, "the CLI prints DriftSQL's script")
		runScript(t, b, "fixme", script)

		d, err = b.fleet.Drift(b.ctx, "fixme")
		require.NoError(t, err)
		assert.Equal(t, herd.DriftCustomised, d.State, "no drift after the script: %v", d.Differences)
		got := customisations(d)
		assert.Equal(t, map[string]string{
			"custom_awards":         "all: table custom_*",
			"students.house_colour": "tenant fixme: column students.house_colour",
			"students.x_by_colour":  "tenant fixme: index students.x_*",
		}, got)
		for name, rule := range want {
			if rule != "" {
				assert.Equal(t, rule, got[name], "customisation %s untouched", name)
			}
		}
		db, _, err := b.fleet.OpenTenant(b.ctx, "fixme")
		require.NoError(t, err)
		defer db.Close()
		var rows int
		require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM students s JOIN houses h ON h.id = s.house_id JOIN fees f ON f.student_id = s.id").Scan(&rows))
		assert.Equal(t, 1, rows, "the rows survive the repair")
		require.NoError(t, db.DB.QueryRowContext(b.ctx, "SELECT COUNT(*) FROM terms WHERE title = 'Autumn'").Scan(&rows))
		assert.Equal(t, 1, rows, "the rows of a table whose key changed survive the repair")
	})
}

// runScript runs script on tenant code statement by statement on one
// connection (so that SQLite's PRAGMA foreign_keys holds for the rest),
// as a person would with the engine's client.
func runScript(t *testing.T, b *bundle, code, script string) {
	t.Helper()
	db, d, err := b.fleet.OpenTenant(b.ctx, code)
	require.NoError(t, err)
	defer db.Close()
	conn, err := db.DB.Conn(b.ctx)
	require.NoError(t, err)
	defer conn.Close()
	stmts, err := d.Split(script)
	require.NoError(t, err)
	for _, s := range stmts {
		if strings.TrimSpace(s.SQL) == "" {
			continue
		}
		_, err := conn.ExecContext(b.ctx, s.SQL)
		require.NoError(t, err, "line %d: %s", s.Line, s.SQL)
	}
}

// DriftSQL rehearses its script on a copy of the tenant's schema and says
// so when the script would break an agreed customisation: here dropping a
// drifted column that a customised view reads, which PostgreSQL refuses
// and MySQL and SQLite allow, leaving the view broken. The tenant is not
// touched.
func TestDriftSQLRehearsal(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSQLSource())
		b.scratch.WriteConfig(t, b.scratch.Config("customisations:\n  tenants: {viewer: [{view: \"x_*\"}]}\n"))
		b.reopen()
		b.addTenant("viewer")
		require.NoError(t, b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "viewer"}, "1.1.0", 1))
		_, err := b.fleet.SeedTenant(b.ctx, "viewer", `ALTER TABLE students ADD COLUMN nickname VARCHAR(20);
CREATE VIEW x_nicknames AS SELECT nickname FROM students;`)
		require.NoError(t, err)

		script, err := b.fleet.DriftSQL(b.ctx, "viewer")
		require.NoError(t, err)
		t.Log(script)
		assert.Contains(t, script, "-- REHEARSAL FAILED on a copy of the tenant's schema: ", script)
		assert.Regexp(t, `DROP COLUMN "nickname".* failed|view x_nicknames no longer runs`, script)
		assert.NotContains(t, script, "Rehearsed on a copy")
		d, err := b.fleet.Drift(b.ctx, "viewer")
		require.NoError(t, err)
		assert.Equal(t, 1, d.Drifted, "the tenant is untouched: %v", d.Differences)
		assert.Equal(t, 1, d.Customised)
	})
}

// adoptYAML has comments, a blank line and odd spacing that herd drift
// --adopt must keep.
const adoptYAML = `
# Agreed with the trusts; ask support before changing.
customisations:
  all: [ {table: "custom_*"} ]   # everyone

  tenants:
    adopter:
      - {column: students.house_colour}   # agreed 2026-11
    left_us: [{table: "report_*"}]   # a trust that left
# end of customisations
`

// herd drift --tenant CODE --adopt writes one exact rule per drift
// difference into herd.yaml's customisations.tenants.CODE, keeping the
// file's comments and layout, after which the tenant is customised (exit
// 0), as the check --adopt records says; adopting again adds nothing.
func TestDriftAdopt(t *testing.T) {
	t.Parallel()
	herdtest.ForEachEngine(t, func(t *testing.T, e herdtest.Engine) {
		b := setup(t, e, driftSource())
		original := b.scratch.Config(adoptYAML)
		b.scratch.WriteConfig(t, original)
		b.reopen()
		b.addTenant("adopter")
		require.NoError(t, b.fleet.MigrateTenants(b.ctx, herd.Selection{Tenants: "adopter"}, "1.1.0", 1))
		_, err := b.fleet.SeedTenant(b.ctx, "adopter", `CREATE TABLE stray (id INTEGER PRIMARY KEY);
ALTER TABLE students ADD COLUMN nickname VARCHAR(20);
ALTER TABLE students ADD COLUMN house_colour VARCHAR(20);
DROP VIEW rolls;
`+dropIndex[e.Name])
		require.NoError(t, err)

		run := cliAt(t, b.scratch.ConfigPath)
		out := run(1, "drift", "--tenant", "adopter")
		assert.Contains(t, out, "herd.yaml:14: warning: customisations.tenants.left_us: no tenant left_us is registered",
			"herd drift names customisations of tenants the registry lacks, at their line")
		out = run(0, "drift", "--tenant", "adopter", "--adopt")
		assert.Contains(t, out, "added 4 rules to customisations.tenants.adopter")
		assert.Contains(t, out, "adopter at v1.1.0: customised (5 customisations, no drift)")

		written, err := os.ReadFile(b.scratch.ConfigPath)
		require.NoError(t, err)
		added := []string{
			`      - {table: "stray"}`,
			`      - {column: "students.nickname"}`,
			`      - {index: "students.students_by_name"}`,
			`      - {view: "rolls"}`,
		}
		want := strings.Replace(original, "   # agreed 2026-11\n", "   # agreed 2026-11\n"+strings.Join(added, "\n")+"\n", 1)
		assert.Equal(t, want, string(written), "the rules go after the tenant's last; nothing else changes")

		d, ok, err := b.fleet.LastDrift(b.ctx, "adopter")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, herd.DriftCustomised, d.State, "--adopt records the check under the new rules")
		out = run(0, "drift", "--tenant", "adopter")
		assert.Contains(t, out, "customisation  missing view rolls")
		assert.Contains(t, out, "allowed by tenant adopter: view rolls")
		out = run(0, "drift", "--tenant", "adopter", "--adopt")
		assert.Contains(t, out, "adopter has no drift: nothing to adopt")
		again, err := os.ReadFile(b.scratch.ConfigPath)
		require.NoError(t, err)
		assert.Equal(t, string(written), string(again))
		run(2, "drift", "--all", "--adopt")
	})
}
