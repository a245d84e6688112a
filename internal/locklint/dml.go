package locklint

// DMLWithoutWhere is the rule every engine shares: an UPDATE or DELETE
// without WHERE (or LIMIT) changes every row of its table in one
// transaction, holding a lock on each row it has changed until it commits.
var DMLWithoutWhere = Rule{
	ID:   "dml-without-where",
	What: "UPDATE or DELETE without WHERE",
	Lock: "changes every row in one transaction and holds each row's lock until it commits " +
		"(on MySQL also gap locks, on SQLite the whole database): the application's writes to those rows wait for the whole table",
	Instead: "a chunked migration (-- herd:chunked), which commits the table range by range; " +
		"or a WHERE clause if not every row is meant",
}

// Everywhere returns the rules herd lint applies on every engine.
func Everywhere() []Rule { return []Rule{DMLWithoutWhere} }

// UnboundedDML returns the table an UPDATE or DELETE statement changes
// when it has no WHERE and no LIMIT outside parentheses (a WITH clause may
// come first), and ok; ok is false for any other statement.
func UnboundedDML(t Tokens) (table string, ok bool) {
	i := 0
	if t.Word(0) == "WITH" {
		u, d := t.Find(1, "UPDATE"), t.Find(1, "DELETE")
		switch {
		case u < 0 && d < 0:
			return "", false
		case u < 0 || d >= 0 && d < u:
			i = d
		default:
			i = u
		}
	}
	switch t.Word(i) {
	case "UPDATE":
		i++
	case "DELETE":
		if i = t.Find(i, "FROM"); i < 0 {
			return "", false
		}
		i++
	default:
		return "", false
	}
	if t.Find(i, "WHERE") >= 0 || t.Find(i, "LIMIT") >= 0 {
		return "", false
	}
	for {
		switch t.Word(i) {
		case "LOW_PRIORITY", "IGNORE", "ONLY", "QUICK":
			i++
			continue
		case "OR": // SQLite's UPDATE OR REPLACE
			i += 2
			continue
		}
		break
	}
	table, _ = t.Name(i)
	return table, true
}
