package sqlsplit

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var families = []Family{Postgres, MySQL, SQLite}

// TestSplitGolden splits every testdata/<family>/<case>.sql and compares the
// result with <case>.golden. Run with -update to rewrite the golden files,
// then read them.
func TestSplitGolden(t *testing.T) {
	t.Parallel()
	for _, f := range families {
		paths, err := filepath.Glob(filepath.Join("testdata", f.String(), "*.sql"))
		require.NoError(t, err)
		require.NotEmpty(t, paths, "no cases for %s", f)
		for _, path := range paths {
			name := f.String() + "/" + strings.TrimSuffix(filepath.Base(path), ".sql")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				script, err := os.ReadFile(path)
				require.NoError(t, err)
				stmts, err := Split(string(script), f)
				require.NoError(t, err)
				got := formatGolden(stmts)

				golden := strings.TrimSuffix(path, ".sql") + ".golden"
				if *update {
					require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
					return
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "run go test -update to create it")
				require.Equal(t, string(want), got)
			})
		}
	}
}

// formatGolden renders statements for a golden file: a header line per
// statement followed by its text.
func formatGolden(stmts []Statement) string {
	if len(stmts) == 0 {
		return "-- no statements\n"
	}
	var b strings.Builder
	for i, s := range stmts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "-- statement %d (line %d)\n%s\n", i+1, s.Line, s.SQL)
	}
	return b.String()
}

func TestSplitErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		family Family
		script string
		line   int
		msg    string
	}{
		{"single quote", Postgres, "SELECT 1;\nSELECT 'abc;\n", 2, "unterminated string literal"},
		{"single quote ended by backslash in mysql", MySQL, "SELECT 'it\\';\n", 1, "unterminated string literal"},
		{"E string ended by backslash", Postgres, "SELECT 1;\n\nSELECT E'a\\';\n", 3, "unterminated string literal"},
		{"double quote postgres", Postgres, "SELECT \"a;\n", 1, "unterminated quoted identifier"},
		{"double quote mysql", MySQL, "SELECT 1;\r\nSELECT \"a\\\";\r\n", 2, "unterminated string literal"},
		{"double quote sqlite", SQLite, "\n\nSELECT \"a\n;", 3, "unterminated quoted identifier"},
		{"backtick mysql", MySQL, "SELECT `a;\n", 1, "unterminated quoted identifier"},
		{"backtick sqlite", SQLite, "SELECT 1;\nSELECT `a``;\n", 2, "unterminated quoted identifier"},
		{"bracket sqlite", SQLite, "SELECT [a;\n", 1, "unterminated quoted identifier"},
		{"block comment", SQLite, "SELECT 1; /* a\n\n", 1, "unterminated block comment"},
		{"nested block comment postgres", Postgres, "SELECT 1;\n/* a /* b */\n;\n", 2, "unterminated block comment"},
		{"executable comment", MySQL, "\n/*!40101 SET x = 1;\n", 2, "unterminated executable comment"},
		{"dollar quote", Postgres, "CREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n$ $;\n", 1, "unterminated dollar-quoted string"},
		{"dollar quote wrong tag", Postgres, "SELECT 1;\nDO $a$ BEGIN END $b$;\n", 2, "unterminated dollar-quoted string"},
		{"begin atomic", Postgres, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n", 2, "unterminated BEGIN ATOMIC ... END block"},
		{"sqlite trigger", SQLite, "CREATE TABLE t (a);\nCREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n  DELETE FROM t;\n", 3, "unterminated BEGIN ... END block"},
		{"sqlite trigger case", SQLite, "CREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n  SELECT CASE WHEN 1 THEN 2;\nEND;\n", 2, "unterminated BEGIN ... END block"},
		{"mysql procedure", MySQL, "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n", 2, "unterminated BEGIN ... END block"},
		{"mysql if without end if", MySQL, "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nIF NEW.a < 0 THEN\n  SET NEW.a = 0;\n", 2, "unterminated IF ... END IF block"},
		{"delimiter without argument", MySQL, "SELECT 1;\nDELIMITER\nSELECT 2;\n", 2, "DELIMITER without an argument"},
		{"delimiter with blanks only", MySQL, "DELIMITER   \r\n", 1, "DELIMITER without an argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stmts, err := Split(tt.script, tt.family)
			require.Nil(t, stmts)
			var serr *Error
			require.ErrorAs(t, err, &serr)
			require.Equal(t, tt.line, serr.Line)
			require.Equal(t, tt.msg, serr.Msg)
			require.Equal(t, fmt.Sprintf("line %d: %s", tt.line, tt.msg), err.Error())
		})
	}
}

func TestSplitUnknownFamily(t *testing.T) {
	t.Parallel()
	_, err := Split("SELECT 1", Family(0))
	require.EqualError(t, err, "sqlsplit: unknown family 0")
}

// TestSplitSmall covers rules that need a precise look at one statement and
// read better inline than as files.
func TestSplitSmall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		family Family
		script string
		want   []Statement
	}{
		{
			name:   "empty script",
			family: SQLite,
			script: "",
			want:   nil,
		},
		{
			name:   "only delimiters",
			family: Postgres,
			script: " ; ;\n;",
			want:   nil,
		},
		{
			name:   "comments go with their statement",
			family: Postgres,
			script: "-- head\n/* a */ SELECT 1 -- in\n; -- after 1\n-- before 2\nSELECT /* b */ 2; SELECT 3",
			want: []Statement{
				{SQL: "SELECT 1 -- in", Line: 2, Comments: []string{"-- head", "/* a */", "-- in", "-- after 1"}},
				{SQL: "SELECT /* b */ 2", Line: 5, Comments: []string{"-- before 2", "/* b */"}},
				{SQL: "SELECT 3", Line: 5},
			},
		},
		{
			name:   "a comment after a delimiter line is the next statement's",
			family: MySQL,
			script: "SELECT 1; # one\n# two\nSELECT 2;",
			want: []Statement{
				{SQL: "SELECT 1", Line: 1, Comments: []string{"# one"}},
				{SQL: "SELECT 2", Line: 3, Comments: []string{"# two"}},
			},
		},
		{
			name:   "two statements on one line",
			family: SQLite,
			script: "SELECT 1;SELECT 2",
			want:   []Statement{{SQL: "SELECT 1", Line: 1}, {SQL: "SELECT 2", Line: 1}},
		},
		{
			name:   "dollar placeholder is not a quote",
			family: Postgres,
			script: "SELECT $1;SELECT $2",
			want:   []Statement{{SQL: "SELECT $1", Line: 1}, {SQL: "SELECT $2", Line: 1}},
		},
		{
			name:   "dollar inside identifier is not a quote",
			family: Postgres,
			script: "SELECT a$b$ FROM t;SELECT 2",
			want:   []Statement{{SQL: "SELECT a$b$ FROM t", Line: 1}, {SQL: "SELECT 2", Line: 1}},
		},
		{
			name:   "mysql double dash before end of script",
			family: MySQL,
			script: "SELECT 1 --",
			want:   []Statement{{SQL: "SELECT 1 --", Line: 1, Comments: []string{"--"}}},
		},
		{
			name:   "mysql double dash then semicolon is not a comment",
			family: MySQL,
			script: "SELECT 1--;SELECT 2",
			want:   []Statement{{SQL: "SELECT 1--", Line: 1}, {SQL: "SELECT 2", Line: 1}},
		},
		{
			name:   "hash is an operator outside mysql",
			family: Postgres,
			script: "SELECT 1 # 2;SELECT 3",
			want:   []Statement{{SQL: "SELECT 1 # 2", Line: 1}, {SQL: "SELECT 3", Line: 1}},
		},
		{
			name:   "brackets are not quotes outside sqlite",
			family: Postgres,
			script: "SELECT a[1];SELECT ']'",
			want:   []Statement{{SQL: "SELECT a[1]", Line: 1}, {SQL: "SELECT ']'", Line: 1}},
		},
		{
			name:   "backslash is plain in standard strings",
			family: Postgres,
			script: "SELECT 'a\\';SELECT 2",
			want:   []Statement{{SQL: "SELECT 'a\\'", Line: 1}, {SQL: "SELECT 2", Line: 1}},
		},
		{
			name:   "custom delimiter ends a word",
			family: MySQL,
			script: "DELIMITER $$\nSELECT a$$SELECT 2$$\nDELIMITER ;\nSELECT 3;",
			want:   []Statement{{SQL: "SELECT a", Line: 2}, {SQL: "SELECT 2", Line: 2}, {SQL: "SELECT 3", Line: 4}},
		},
		{
			name:   "delimiter not at line start is a statement",
			family: MySQL,
			script: "SELECT 1; DELIMITER //\nSELECT 2;",
			want:   []Statement{{SQL: "SELECT 1", Line: 1}, {SQL: "DELIMITER //\nSELECT 2", Line: 1}},
		},
		{
			name:   "create table named like a routine kind",
			family: MySQL,
			script: "CREATE TABLE trigger_log (id INT);\nBEGIN;\nSELECT 1;",
			want:   []Statement{{SQL: "CREATE TABLE trigger_log (id INT)", Line: 1}, {SQL: "BEGIN", Line: 2}, {SQL: "SELECT 1", Line: 3}},
		},
		{
			name:   "postgres begin without atomic is not a block",
			family: Postgres,
			script: "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql;\nBEGIN;",
			want:   []Statement{{SQL: "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql", Line: 1}, {SQL: "BEGIN", Line: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Split(tt.script, tt.family)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func ExampleSplit() {
	script := `-- Fees owed by each student.
CREATE TABLE fees (
  student_id INTEGER NOT NULL,
  note TEXT DEFAULT 'paid; in full'
);

CREATE TRIGGER fees_ai AFTER INSERT ON fees
BEGIN
  UPDATE students SET balance = balance + 1 WHERE id = NEW.student_id;
END;
`
	stmts, err := Split(script, SQLite)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range stmts {
		fmt.Printf("line %d: %s\n", s.Line, strings.SplitN(s.SQL, "\n", 2)[0])
	}
	// Output:
	// line 2: CREATE TABLE fees (
	// line 7: CREATE TRIGGER fees_ai AFTER INSERT ON fees
}

func TestTokens(t *testing.T) {
	t.Parallel()
	w := func(s string) Token { return Token{Word: s} }
	p := func(c byte) Token { return Token{Punct: c} }
	q := func(s string) Token { return Token{Quoted: true, Text: s} }
	tests := []struct {
		name   string
		family Family
		stmt   string
		want   []Token
	}{
		{"words upper-cased, comments dropped", SQLite, "drop /* x */ table -- y\n t1", []Token{w("DROP"), w("TABLE"), w("T1")}},
		{"literal is one token", Postgres, "SELECT 'drop table x'", []Token{w("SELECT"), q("'drop table x'")}},
		{"dollar body is one token", Postgres, "DO $$ DROP TABLE x $$", []Token{w("DO"), q("$$ DROP TABLE x $$")}},
		{"mysql executable comment dropped", MySQL, "/*!40000 DROP TABLE x */ SELECT 1", []Token{w("SELECT"), w("1")}},
		{"punctuation", MySQL, "a.`b`(c)", []Token{w("A"), p('.'), q("`b`"), p('('), w("C"), p(')')}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Tokens(tt.stmt, tt.family)
			require.NoError(t, err)
			for i := range got {
				got[i].Pos = 0 // TestTokenPositions checks them
			}
			require.Equal(t, tt.want, got)
		})
	}
	_, err := Tokens("SELECT 'open", SQLite)
	require.ErrorContains(t, err, "unterminated string literal")
}

func TestTokenPositions(t *testing.T) {
	t.Parallel()
	stmt := "UPDATE t /* :x */ SET a = ':b' WHERE id > :from"
	got, err := Tokens(stmt, Postgres)
	require.NoError(t, err)
	for _, tok := range got {
		text := tok.Text
		switch {
		case tok.Word != "":
			text = tok.Word
		case tok.Punct != 0:
			text = string(tok.Punct)
		}
		require.True(t, strings.EqualFold(stmt[tok.Pos:tok.Pos+len(text)], text), "token %q at %d", text, tok.Pos)
	}
	require.Equal(t, strings.Index(stmt, ":from"), got[len(got)-2].Pos)
}

func TestLeading(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stmt   string
		family Family
		n      int
		want   []string
	}{
		{"drop /* x */ database d", MySQL, 2, []string{"DROP", "DATABASE"}},
		{"-- c\n  use\n`db`", MySQL, 2, []string{"USE"}},
		{"/*!40101 SET x = 1 */ USE d", MySQL, 1, []string{"USE"}},
		{"attach 'f.db' as f", SQLite, 3, []string{"ATTACH"}},
		{"SELECT 'open", Postgres, 3, nil},
		{"", Postgres, 1, nil},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Leading(tt.stmt, tt.family, tt.n), tt.stmt)
	}
}

func TestIdent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stmt   string
		family Family
		want   []string
	}{
		{`x "A""b" 'lit' $$body$$`, Postgres, []string{"X", `A"b`, "", ""}},
		{"`a``b` [c]", SQLite, []string{"a`b", "c"}},
		{"a.b", MySQL, []string{"A", "", "B"}},
	}
	for _, tt := range tests {
		toks, err := Tokens(tt.stmt, tt.family)
		require.NoError(t, err)
		var got []string
		for _, tok := range toks {
			got = append(got, tok.Ident())
		}
		require.Equal(t, tt.want, got, tt.stmt)
	}
}
