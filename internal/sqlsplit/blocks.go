package sqlsplit

// header is how far the opening words of a statement have been classified.
type header int

const (
	headerStart   header = iota // no token seen yet
	headerCreate                // CREATE and modifiers seen; the object kind is still unknown
	headerRoutine               // a trigger or routine: its body's blocks are tracked
	headerPlain                 // any other statement: ";" always ends it
)

// block is an open compound construct of a trigger or routine.
type block struct {
	keyword string // BEGIN, BEGIN ATOMIC, CASE, IF, LOOP, WHILE, REPEAT or FOR
	line    int    // line of the keyword
	expr    bool   // a CASE expression rather than a CASE statement (MySQL)
}

// describe names the construct for an error message.
func (b block) describe() string {
	switch b.keyword {
	case "BEGIN", "BEGIN ATOMIC", "CASE":
		return b.keyword + " ... END block"
	}
	return b.keyword + " ... END " + b.keyword + " block"
}

// blockTracker follows the BEGIN ... END structure of one statement, so that
// the ";" between the statements of a trigger or routine body does not end
// it. It only tracks statements that start with CREATE [OR REPLACE]
// [DEFINER=...] [TEMP|TEMPORARY] followed by a routine kind: TRIGGER in
// SQLite; FUNCTION or PROCEDURE (BEGIN ATOMIC bodies) in PostgreSQL; TRIGGER,
// PROCEDURE, FUNCTION or EVENT in MySQL. A plain "BEGIN;" is a statement
// like any other.
type blockTracker struct {
	family Family
	header header
	prev   token   // the previous significant token
	open   []block // innermost last

	// stmtStart is set when, in a MySQL body, the next word begins a
	// statement. IF, LOOP, WHILE, REPEAT and FOR open blocks only there, which
	// tells the IF statement from the IF() function and the REPEAT statement
	// from the REPEAT() function.
	stmtStart bool
}

// add feeds the next significant (non-comment) token of the statement.
func (t *blockTracker) add(tok token) {
	w := tok.word()
	switch t.header {
	case headerStart:
		t.header = headerPlain
		if w == "CREATE" {
			t.header = headerCreate
		}
	case headerCreate:
		t.classify(tok, w)
	case headerRoutine:
		switch t.family {
		case SQLite:
			t.sqliteBody(tok, w)
		case Postgres:
			t.postgresBody(tok, w)
		case MySQL:
			t.mysqlBody(tok, w)
		}
	}
	t.prev = tok
}

// depth returns the number of open blocks.
func (t *blockTracker) depth() int { return len(t.open) }

// outermost returns the outermost open block, if any.
func (t *blockTracker) outermost() (block, bool) {
	if len(t.open) == 0 {
		return block{}, false
	}
	return t.open[0], true
}

func (t *blockTracker) push(keyword string, line int, expr bool) {
	t.open = append(t.open, block{keyword: keyword, line: line, expr: expr})
}

// pop closes the innermost block. A stray END is ignored: the server will
// report it better than a splitter can.
func (t *blockTracker) pop() {
	if len(t.open) > 0 {
		t.open = t.open[:len(t.open)-1]
	}
}

// classify reads the words after CREATE until the object kind is known.
func (t *blockTracker) classify(tok token, w string) {
	switch {
	case tok.kind != tokWord:
		// Punctuation and quoted names of a DEFINER clause.
	case t.isRoutineKind(w):
		t.header = headerRoutine
	case w == "OR", w == "REPLACE", w == "TEMP", w == "TEMPORARY",
		w == "DEFINER", w == "CURRENT_USER", w == "AGGREGATE":
	case t.prev.isPunct('=') || t.prev.isPunct('@'):
		// An unquoted DEFINER value: DEFINER=admin@localhost.
	default:
		t.header = headerPlain
	}
}

// isRoutineKind reports whether w names an object whose body may hold
// statements in the family.
func (t *blockTracker) isRoutineKind(w string) bool {
	switch w {
	case "TRIGGER":
		return t.family != Postgres // PostgreSQL triggers call functions
	case "FUNCTION", "PROCEDURE":
		return t.family != SQLite
	case "EVENT":
		return t.family == MySQL
	}
	return false
}

// sqliteBody tracks CREATE TRIGGER ... BEGIN ... END, with CASE ... END
// expressions inside.
func (t *blockTracker) sqliteBody(tok token, w string) {
	switch w {
	case "BEGIN", "CASE":
		t.push(w, tok.line, false)
	case "END":
		t.pop()
	}
}

// postgresBody tracks SQL-standard bodies, BEGIN ATOMIC ... END, with CASE
// ... END expressions inside. Other PostgreSQL bodies are dollar quoted.
func (t *blockTracker) postgresBody(tok token, w string) {
	switch {
	case w == "ATOMIC" && t.prev.word() == "BEGIN":
		t.push("BEGIN ATOMIC", t.prev.line, false)
	case w == "CASE":
		t.push(w, tok.line, false)
	case w == "END":
		t.pop()
	}
}

// mysqlBody tracks the compound statements of MySQL and MariaDB stored
// programs: BEGIN ... END, CASE ... END [CASE], IF ... END IF, LOOP ... END
// LOOP, WHILE ... END WHILE, REPEAT ... END REPEAT and FOR ... END FOR.
func (t *blockTracker) mysqlBody(tok token, w string) {
	start := t.stmtStart
	t.stmtStart = false
	if tok.kind != tokWord {
		// After ";" or a label's ":" comes a statement.
		t.stmtStart = tok.isPunct(';') || tok.isPunct(':')
		return
	}
	switch {
	case t.prev.word() == "END" && (w == "CASE" || isMySQLCompound(w)):
		// END IF, END CASE, ...: the END already closed the block.
	case w == "END":
		t.pop()
	case w == "BEGIN":
		t.push(w, tok.line, false)
		t.stmtStart = true
	case w == "CASE":
		t.push(w, tok.line, !start)
	case start && isMySQLCompound(w):
		t.push(w, tok.line, false)
		t.stmtStart = w == "LOOP" || w == "REPEAT"
	case w == "THEN", w == "ELSE":
		// Statements follow, except in a CASE expression.
		t.stmtStart = len(t.open) == 0 || !t.open[len(t.open)-1].expr
	case w == "DO":
		// WHILE ... DO, FOR ... DO and CREATE EVENT ... DO are followed by
		// statements; the DO statement (DO expr) is not.
		t.stmtStart = !start
	case w == "ROW", w == "ATOMIC":
		// CREATE TRIGGER ... FOR EACH ROW is followed by the body, and
		// MariaDB's BEGIN NOT ATOMIC by statements.
		t.stmtStart = true
	}
}

// isMySQLCompound reports whether w opens a compound statement when it
// begins a statement, and is repeated after its END.
func isMySQLCompound(w string) bool {
	switch w {
	case "IF", "LOOP", "WHILE", "REPEAT", "FOR":
		return true
	}
	return false
}
