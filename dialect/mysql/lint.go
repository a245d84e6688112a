package mysql

import (
	"github.com/herdhq/herd/internal/locklint"
)

var _ locklint.Linter = (*Dialect)(nil)

// MySQL's and MariaDB's lock rules (see LockRules). Those marked "may"
// are silenced by a statement that pins an online algorithm, which makes
// the server refuse it rather than block (see pinnedOnline).
var (
	ruleColumnType = locklint.Rule{
		ID:   "mysql-column-type",
		What: "MODIFY or CHANGE of a column, unless the statement says ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE",
		Lock: "may change the column's type, which copies the table (ALGORITHM=COPY) and blocks writes throughout; " +
			"the statement alone does not say whether the type changes",
		Instead: "write ALGORITHM=INPLACE, LOCK=NONE (or ALGORITHM=INSTANT) so that the server refuses rather than blocks " +
			"when it cannot keep writes going (a rename or a new default can; on MySQL also a longer VARCHAR of the same length-byte size); " +
			"to change the type, add a new column, backfill it in chunks and switch, or use an online schema change tool (gh-ost, pt-online-schema-change)",
	}
	rulePrimaryKey = locklint.Rule{
		ID:   "mysql-primary-key",
		What: "ADD or DROP PRIMARY KEY, unless the statement says ALGORITHM=INPLACE, LOCK=NONE",
		Lock: "rebuilds the clustered index, that is the whole table; dropping the key without adding another, " +
			"or adding one over nullable columns, copies the table (ALGORITHM=COPY) and blocks writes throughout",
		Instead: "drop and add the primary key in one ALTER TABLE over NOT NULL columns with ALGORITHM=INPLACE, LOCK=NONE, " +
			"or use an online schema change tool",
	}
	ruleCharset = locklint.Rule{
		ID:   "mysql-charset",
		What: "CONVERT TO CHARACTER SET, or a table's CHARACTER SET (CHARSET) option unless the statement says ALGORITHM=INPLACE, LOCK=NONE",
		Lock: "converting copies the table (ALGORITHM=COPY); on MySQL a new default character set rebuilds it without concurrent writes: " +
			"writes wait throughout",
		Instead: "an online schema change tool (gh-ost, pt-online-schema-change), " +
			"or convert column by column through new columns filled in chunks",
	}
	ruleForeignKey = locklint.Rule{
		ID:   "mysql-foreign-key",
		What: "ADD FOREIGN KEY",
		Lock: "copies the table (ALGORITHM=COPY) while writes wait, unless foreign_key_checks is 0",
		Instead: "declare the key when the table is created; on an existing table check the rows with a query, " +
			"then add the key with foreign_key_checks = 0 (MySQL then adds it in place, without checking the rows)",
	}
	ruleFulltext = locklint.Rule{
		ID:      "mysql-fulltext-index",
		What:    "a FULLTEXT or SPATIAL index (ADD or CREATE)",
		Lock:    "builds the index without concurrent writes (LOCK=SHARED at best), and the first FULLTEXT index rebuilds the table",
		Instead: "an online schema change tool (gh-ost, pt-online-schema-change), or a maintenance window",
	}
	ruleCopyColumn = locklint.Rule{
		ID:      "mysql-add-column-copy",
		What:    "ADD COLUMN with AUTO_INCREMENT, or a STORED generated column",
		Lock:    "copies the table (ALGORITHM=COPY): writes wait throughout",
		Instead: "a VIRTUAL generated column (added instantly), or an online schema change tool",
	}
)

// LockRules returns MySQL's and MariaDB's lock rules: ALTER TABLE actions
// that cannot run with ALGORITHM=INPLACE or INSTANT and LOCK=NONE
// (converting a character set, adding a foreign key, a FULLTEXT or SPATIAL
// index, an AUTO_INCREMENT or stored generated column), and those that may
// not (MODIFY or CHANGE of a column, a primary key, a table's default
// character set) unless the statement pins an online algorithm; each on a
// table the migration did not create.
func (d *Dialect) LockRules() []locklint.Rule {
	return []locklint.Rule{ruleColumnType, rulePrimaryKey, ruleCharset, ruleForeignKey, ruleFulltext, ruleCopyColumn}
}

// LintLocks returns the statements of script that break one of
// LockRules, other than on tables the script created earlier.
func (d *Dialect) LintLocks(script []locklint.Tokens) []locklint.Finding {
	var out []locklint.Finding
	created := locklint.Created{}
	for n, t := range script {
		add := func(r locklint.Rule, table string) {
			if !created.Has(table) {
				out = append(out, locklint.Finding{Statement: n, Rule: r, Table: table})
			}
		}
		if table, ok := fulltextIndexTable(t); ok {
			add(ruleFulltext, table)
		}
		created.Note(t)
		table, actions, ok := t.AlterTable()
		if !ok {
			continue
		}
		pinned := pinnedOnline(t)
		var seen []locklint.Rule
		for _, a := range actions {
			for _, r := range alterRules(a, pinned) {
				if !containsRule(seen, r) {
					seen = append(seen, r)
					add(r, table)
				}
			}
		}
	}
	return out
}

func containsRule(rs []locklint.Rule, r locklint.Rule) bool {
	for _, s := range rs {
		if s.ID == r.ID {
			return true
		}
	}
	return false
}

// fulltextIndexTable returns the table of CREATE FULLTEXT|SPATIAL INDEX
// name ON table; ok is false for any other statement.
func fulltextIndexTable(t locklint.Tokens) (string, bool) {
	if t.Word(0) != "CREATE" || t.Word(1) != "FULLTEXT" && t.Word(1) != "SPATIAL" || t.Word(2) != "INDEX" {
		return "", false
	}
	on := t.Find(3, "ON")
	if on < 0 {
		return "", false
	}
	table, _ := t.Name(on + 1)
	return table, table != ""
}

// pinnedOnline reports whether an ALTER TABLE makes the server refuse it
// rather than block writes: ALGORITHM=INSTANT, ALGORITHM=INPLACE or
// NOCOPY (MariaDB) with LOCK=NONE, or MariaDB's ALTER ONLINE TABLE.
func pinnedOnline(t locklint.Tokens) bool {
	value := func(option string) string {
		i := t.Find(0, option)
		if i < 0 {
			return ""
		}
		if t.Punct(i+1, '=') {
			i++
		}
		return t.Word(i + 1)
	}
	algorithm := value("ALGORITHM")
	return algorithm == "INSTANT" || t.Word(1) == "ONLINE" ||
		(algorithm == "INPLACE" || algorithm == "NOCOPY") && value("LOCK") == "NONE"
}

// alterRules returns the rules one ALTER TABLE action breaks; pinned says
// whether the statement pins an online algorithm.
func alterRules(a locklint.Tokens, pinned bool) []locklint.Rule {
	may := func(r locklint.Rule) []locklint.Rule {
		if pinned {
			return nil
		}
		return []locklint.Rule{r}
	}
	switch w := a.Word(0); {
	case w == "MODIFY" || w == "CHANGE":
		return may(ruleColumnType)
	case w == "CONVERT" && a.Words(1, "TO"):
		return []locklint.Rule{ruleCharset}
	case w == "CHARACTER" && a.Word(1) == "SET", w == "CHARSET", w == "DEFAULT" && (a.Word(1) == "CHARSET" || a.Words(1, "CHARACTER", "SET")):
		return may(ruleCharset)
	case a.Words(0, "DROP", "PRIMARY", "KEY"):
		return may(rulePrimaryKey)
	case w == "ADD":
		i := 1
		if a.Word(i) == "CONSTRAINT" {
			if i++; a.Word(i) != "PRIMARY" && a.Word(i) != "FOREIGN" && a.Word(i) != "UNIQUE" && a.Word(i) != "CHECK" {
				_, i = a.Name(i)
			}
		}
		switch a.Word(i) {
		case "PRIMARY":
			return may(rulePrimaryKey)
		case "FOREIGN":
			return []locklint.Rule{ruleForeignKey}
		case "FULLTEXT", "SPATIAL":
			return []locklint.Rule{ruleFulltext}
		case "INDEX", "KEY", "UNIQUE", "CHECK":
			return nil
		}
		if a.Has("AUTO_INCREMENT") || a.Has("STORED") || a.Has("PERSISTENT") {
			return []locklint.Rule{ruleCopyColumn}
		}
	}
	return nil
}
