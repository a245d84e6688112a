// Package locklint is the vocabulary of herd lint's lock rules: the
// statements of a migration that hold a lock the application queues
// behind, or rewrite a table, while they run.
//
// An engine that knows such statements implements [Linter] (herd's
// PostgreSQL and MySQL dialects do); herd lint (package release) finds it
// by type assertion on the engines a migration source serves, and adds the
// rule every engine shares, [DMLWithoutWhere]. Rules read a statement's
// tokens, as the engine's lexer gives them (comments dropped, string
// literals and quoted names one token each): keyword scanning, not
// parsing. The package reads no database and is safe for concurrent use.
package locklint

import (
	"strings"

	"github.com/herdhq/herd/internal/sqlsplit"
)

// Rule is one lock rule: a stable ID (what -- herd:allow names), the
// statements it matches, what they do to the application and the safe way
// to get the same change.
type Rule struct {
	// ID is stable and unique across engines, e.g. "pg-create-index".
	ID string
	// What names the statements the rule matches.
	What string
	// Lock says what such a statement does while it runs.
	Lock string
	// Instead is the safe alternative.
	Instead string
}

// Finding is one statement of a script that breaks a rule.
type Finding struct {
	// Statement is the statement's index in the script.
	Statement int
	Rule      Rule
	// Table is the table the statement locks, as written ("" when the
	// statement does not name one).
	Table string
}

// Linter is the optional capability of an engine that knows which of its
// statements hold long locks or rewrite tables.
type Linter interface {
	// LockRules returns the engine's rules in the order its documentation
	// lists them.
	LockRules() []Rule
	// LintLocks reads the statements of one migration script, in order,
	// each as its tokens, and returns the findings in statement order.
	LintLocks(script []Tokens) []Finding
}

// Tokens are the tokens of one statement, with the readers rules share.
type Tokens []sqlsplit.Token

// Word returns the i-th token's word (upper case), or "" past the end or
// for a token that is not a word.
func (t Tokens) Word(i int) string {
	if i >= 0 && i < len(t) {
		return t[i].Word
	}
	return ""
}

// Punct reports whether the i-th token is the punctuation byte c.
func (t Tokens) Punct(i int, c byte) bool {
	return i >= 0 && i < len(t) && t[i].Punct == c
}

// Words reports whether the tokens from i on are the words ws.
func (t Tokens) Words(i int, ws ...string) bool {
	for k, w := range ws {
		if t.Word(i+k) != w {
			return false
		}
	}
	return true
}

// Find returns the index of the first token from i on, outside
// parentheses opened after i, that is the word w, or -1.
func (t Tokens) Find(i int, w string) int {
	found := -1
	t.topLevel(i, func(k int) bool {
		if t[k].Word == w {
			found = k
		}
		return found < 0
	})
	return found
}

// topLevel calls fn with the index of each token from i on that is
// outside parentheses opened after i (parentheses included), until fn
// returns false.
func (t Tokens) topLevel(i int, fn func(k int) bool) {
	depth := 0
	for ; i < len(t); i++ {
		if t.Punct(i, ')') {
			depth--
		}
		if depth == 0 && !fn(i) {
			return
		}
		if t.Punct(i, '(') {
			depth++
		}
	}
}

// Has reports whether the words ws appear in a row anywhere in t, inside
// parentheses or not.
func (t Tokens) Has(ws ...string) bool {
	for i := range t {
		if t.Words(i, ws...) {
			return true
		}
	}
	return false
}

// Name reads the possibly qualified name that starts at t[i] and returns
// its last part, as written for a quoted name and in lower case for a bare
// one, with the index after it; "" and i when no name starts there.
func (t Tokens) Name(i int) (string, int) {
	part := func(i int) string {
		if i >= len(t) || t[i].Ident() == "" {
			return ""
		}
		if t[i].Quoted {
			return t[i].Ident()
		}
		return strings.ToLower(t[i].Word)
	}
	name := part(i)
	if name == "" {
		return "", i
	}
	i++
	for t.Punct(i, '.') && part(i+1) != "" {
		name = part(i + 1)
		i += 2
	}
	return name, i
}

// AlterTable reads ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] [ONLY] name
// [*] and returns the table's name and its comma-separated actions (commas
// inside parentheses do not separate); ok is false for any other
// statement.
func (t Tokens) AlterTable() (table string, actions []Tokens, ok bool) {
	if t.Word(0) != "ALTER" {
		return "", nil, false
	}
	i := 1
	for w := t.Word(i); w == "ONLINE" || w == "IGNORE"; w = t.Word(i) {
		i++
	}
	if t.Word(i) != "TABLE" {
		return "", nil, false
	}
	i++
	if t.Words(i, "IF", "EXISTS") {
		i += 2
	}
	if t.Word(i) == "ONLY" {
		i++
	}
	table, i = t.Name(i)
	if table == "" {
		return "", nil, false
	}
	if t.Punct(i, '*') {
		i++
	}
	start := i
	t.topLevel(i, func(k int) bool {
		if t.Punct(k, ',') {
			actions = append(actions, t[start:k])
			start = k + 1
		}
		return true
	})
	if start < len(t) {
		actions = append(actions, t[start:])
	}
	return table, actions, true
}

// Created are the tables a script has created so far. A rule does not
// fire on a table the same migration created: it is new and empty, so
// nothing waits for it.
type Created map[string]bool

// Note records the table a CREATE [GLOBAL|LOCAL]
// [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] statement creates.
func (c Created) Note(t Tokens) {
	if t.Word(0) != "CREATE" {
		return
	}
	i := 1
	for w := t.Word(i); w == "GLOBAL" || w == "LOCAL" || w == "TEMP" || w == "TEMPORARY" || w == "UNLOGGED"; w = t.Word(i) {
		i++
	}
	if t.Word(i) != "TABLE" {
		return
	}
	i++
	if t.Words(i, "IF", "NOT", "EXISTS") {
		i += 3
	}
	if name, _ := t.Name(i); name != "" {
		c[strings.ToLower(name)] = true
	}
}

// Has reports whether the script created table earlier (names compared
// without case).
func (c Created) Has(table string) bool { return c[strings.ToLower(table)] }
