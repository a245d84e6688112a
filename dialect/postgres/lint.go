package postgres

import (
	"github.com/herdhq/herd/internal/locklint"
)

var _ locklint.Linter = (*Dialect)(nil)

// PostgreSQL's lock rules (see LockRules).
var (
	ruleCreateIndex = locklint.Rule{
		ID:   "pg-create-index",
		What: "CREATE INDEX without CONCURRENTLY",
		Lock: "takes a SHARE lock on the table: every INSERT, UPDATE and DELETE on it waits until the whole index is built",
		Instead: "CREATE INDEX CONCURRENTLY in a -- herd:no-transaction migration " +
			"(a failed build leaves an invalid index, which herd repair names with the DROP INDEX to run)",
	}
	ruleColumnType = locklint.Rule{
		ID:   "pg-alter-column-type",
		What: "ALTER COLUMN ... TYPE",
		Lock: "takes an ACCESS EXCLUSIVE lock and, unless the new type is binary-compatible (a longer varchar, varchar to text), " +
			"rewrites the table and its indexes: reads and writes wait throughout",
		Instead: "add a column of the new type, backfill it in chunks, move the application to it and drop the old column in a later release",
	}
	ruleVolatileDefault = locklint.Rule{
		ID: "pg-volatile-default",
		What: "ADD COLUMN with a volatile default (such as gen_random_uuid(), clock_timestamp() or a serial type) " +
			"or an identity or stored generated value",
		Lock: "rewrites the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait throughout " +
			"(a constant or stable default, such as now(), does not since PostgreSQL 11)",
		Instead: "add the column without a default (or with a constant one), then ALTER COLUMN ... SET DEFAULT for new rows, " +
			"and fill the existing rows in a chunked migration",
	}
	ruleSetNotNull = locklint.Rule{
		ID:   "pg-set-not-null",
		What: "ALTER COLUMN ... SET NOT NULL without a validated CHECK",
		Lock: "scans the whole table for NULLs under an ACCESS EXCLUSIVE lock: reads and writes wait throughout",
		Instead: "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT c earlier in the same migration, " +
			"then SET NOT NULL (PostgreSQL 12+ skips the scan) and DROP CONSTRAINT c; " +
			"if an earlier migration validated the check, allow the statement",
	}
	ruleForeignKey = locklint.Rule{
		ID:   "pg-foreign-key",
		What: "ADD FOREIGN KEY without NOT VALID",
		Lock: "checks every row while holding SHARE ROW EXCLUSIVE locks on both tables: writes to either wait throughout",
		Instead: "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT " +
			"in a later statement or migration (it lets reads and writes go on)",
	}
	ruleCheck = locklint.Rule{
		ID:      "pg-check",
		What:    "ADD CHECK without NOT VALID",
		Lock:    "checks every row under an ACCESS EXCLUSIVE lock: reads and writes wait throughout",
		Instead: "ADD CONSTRAINT ... CHECK (...) NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later statement or migration",
	}
)

// volatileFunctions are the volatile functions a column default commonly
// calls, which make ADD COLUMN rewrite the table.
var volatileFunctions = map[string]bool{
	"RANDOM": true, "GEN_RANDOM_UUID": true, "UUID_GENERATE_V1": true, "UUID_GENERATE_V1MC": true,
	"UUID_GENERATE_V4": true, "CLOCK_TIMESTAMP": true, "TIMEOFDAY": true, "NEXTVAL": true,
}

// serialTypes are the pseudo-types that give a column a sequence default.
var serialTypes = map[string]bool{
	"SERIAL": true, "BIGSERIAL": true, "SMALLSERIAL": true, "SERIAL2": true, "SERIAL4": true, "SERIAL8": true,
}

// LockRules returns PostgreSQL's lock rules: CREATE INDEX without
// CONCURRENTLY, ALTER COLUMN ... TYPE, ADD COLUMN with a volatile default,
// SET NOT NULL without a validated check, and ADD FOREIGN KEY or CHECK
// without NOT VALID, each on a table the migration did not create.
func (d *Dialect) LockRules() []locklint.Rule {
	return []locklint.Rule{ruleCreateIndex, ruleColumnType, ruleVolatileDefault, ruleSetNotNull, ruleForeignKey, ruleCheck}
}

// LintLocks returns the statements of script that break one of
// LockRules. A table the script created earlier is exempt, and so is SET
// NOT NULL on a table on which the script validated a constraint earlier
// (VALIDATE CONSTRAINT, or a CHECK added without NOT VALID).
func (d *Dialect) LintLocks(script []locklint.Tokens) []locklint.Finding {
	var out []locklint.Finding
	created, validated := locklint.Created{}, map[string]bool{}
	for n, t := range script {
		add := func(r locklint.Rule, table string) {
			out = append(out, locklint.Finding{Statement: n, Rule: r, Table: table})
		}
		if table, ok := indexedTable(t); ok && !created.Has(table) {
			add(ruleCreateIndex, table)
		}
		created.Note(t)
		table, actions, ok := t.AlterTable()
		if !ok || created.Has(table) {
			continue
		}
		for _, a := range actions {
			for _, r := range alterRules(a, validated[table]) {
				add(r, table)
			}
			if a.Word(0) == "VALIDATE" || a.Word(0) == "ADD" && a.Find(0, "CHECK") >= 0 && !a.Has("NOT", "VALID") {
				validated[table] = true
			}
		}
	}
	return out
}

// indexedTable returns the table of a CREATE [UNIQUE] INDEX statement
// without CONCURRENTLY; ok is false for any other statement.
func indexedTable(t locklint.Tokens) (string, bool) {
	i := 1
	if t.Word(i) == "UNIQUE" {
		i++
	}
	if t.Word(0) != "CREATE" || t.Word(i) != "INDEX" || t.Word(i+1) == "CONCURRENTLY" {
		return "", false
	}
	on := t.Find(i, "ON")
	if on < 0 {
		return "", false
	}
	if t.Word(on+1) == "ONLY" {
		on++
	}
	table, _ := t.Name(on + 1)
	return table, table != ""
}

// alterRules returns the rules one ALTER TABLE action breaks; validated
// says whether a constraint of the table was validated earlier.
func alterRules(a locklint.Tokens, validated bool) []locklint.Rule {
	switch a.Word(0) {
	case "ALTER":
		i := 1
		if a.Word(i) == "COLUMN" {
			i++
		}
		_, i = a.Name(i)
		switch {
		case a.Word(i) == "TYPE" || a.Words(i, "SET", "DATA", "TYPE"):
			return []locklint.Rule{ruleColumnType}
		case a.Words(i, "SET", "NOT", "NULL") && !validated:
			return []locklint.Rule{ruleSetNotNull}
		}
	case "ADD":
		i := 1
		if a.Word(i) == "CONSTRAINT" {
			_, i = a.Name(i + 1)
		}
		switch a.Word(i) {
		case "FOREIGN", "CHECK":
			if a.Has("NOT", "VALID") {
				return nil
			}
			if a.Word(i) == "CHECK" {
				return []locklint.Rule{ruleCheck}
			}
			return []locklint.Rule{ruleForeignKey}
		case "UNIQUE", "PRIMARY", "EXCLUDE":
			return nil
		}
		if rewritesOnAdd(a) {
			return []locklint.Rule{ruleVolatileDefault}
		}
	}
	return nil
}

// rewritesOnAdd reports whether ADD [COLUMN] [IF NOT EXISTS] name type ...
// rewrites the table: a serial type, a default calling a volatile
// function, an identity or a stored generated column.
func rewritesOnAdd(a locklint.Tokens) bool {
	i := 1
	if a.Word(i) == "COLUMN" {
		i++
	}
	if a.Words(i, "IF", "NOT", "EXISTS") {
		i += 3
	}
	_, i = a.Name(i)
	if serialTypes[a.Word(i)] || a.Has("AS", "IDENTITY") || a.Has("STORED") {
		return true
	}
	def := a.Find(i, "DEFAULT")
	if def < 0 {
		return false
	}
	for k := def + 1; k < len(a); k++ {
		if volatileFunctions[a.Word(k)] && a.Punct(k+1, '(') {
			return true
		}
	}
	return false
}
