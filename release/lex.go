package release

import (
	"strings"

	"github.com/herdhq/herd/internal/sqlsplit"
)

// tokenKind classifies the tokens lex returns.
type tokenKind int

const (
	tokWord    tokenKind = iota + 1 // keyword, unquoted identifier or number, upper-cased
	tokIdent                        // quoted identifier
	tokLiteral                      // string literal or dollar-quoted body
	tokPunct                        // any other byte
)

// token is one significant token of a statement.
type token struct {
	kind tokenKind
	text string
}

func (t token) isPunct(c byte) bool { return t.kind == tokPunct && t.text[0] == c }

// lex cuts one statement, as sqlsplit returns it, into its significant
// tokens by the rules of family f: comments (MySQL's executable /*! */ ones
// too) are dropped, and string literals and quoted identifiers become one
// token each whose text does not matter, so no word inside them is seen.
// The statement is already known to split, so an unterminated construct
// simply runs to the end.
func lex(s string, f sqlsplit.Family) []token {
	var out []token
	mysql, pg := f == sqlsplit.MySQL, f == sqlsplit.Postgres
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c <= ' ':
			i++
		case c == '-' && at(i+1) == '-' && (!mysql || at(i+2) <= ' '), c == '#' && mysql:
			i = lineEnd(s, i)
		case c == '/' && at(i+1) == '*':
			i = commentEnd(s, i, pg)
		case c == '\'':
			i = quoteEnd(s, i, '\'', mysql)
			out = append(out, token{kind: tokLiteral})
		case c == '"':
			i = quoteEnd(s, i, '"', mysql)
			out = append(out, token{kind: tokIdent})
		case c == '`' && !pg:
			i = quoteEnd(s, i, '`', false)
			out = append(out, token{kind: tokIdent})
		case c == '[' && f == sqlsplit.SQLite:
			if j := strings.IndexByte(s[i+1:], ']'); j >= 0 {
				i += j + 2
			} else {
				i = len(s)
			}
			out = append(out, token{kind: tokIdent})
		case c == '$' && pg && dollarTag(s, i) != "":
			tag := dollarTag(s, i)
			if j := strings.Index(s[i+len(tag):], tag); j >= 0 {
				i += len(tag) + j + len(tag)
			} else {
				i = len(s)
			}
			out = append(out, token{kind: tokLiteral})
		case isWordByte(c):
			j := i
			for j < len(s) && (isWordByte(s[j]) || pg && s[j] == '$') {
				j++
			}
			if w := s[i:j]; pg && (w == "E" || w == "e") && at(j) == '\'' {
				i = quoteEnd(s, j, '\'', true)
				out = append(out, token{kind: tokLiteral})
				continue
			}
			out = append(out, token{kind: tokWord, text: strings.ToUpper(s[i:j])})
			i = j
		default:
			out = append(out, token{kind: tokPunct, text: s[i : i+1]})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// lineEnd returns the index just past the line comment that starts at i.
func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// commentEnd returns the index just past the block comment that starts at
// i; PostgreSQL's nest.
func commentEnd(s string, i int, nested bool) int {
	depth := 0
	for j := i; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			if depth == 0 || nested {
				depth++
			}
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// quoteEnd returns the index just past the quoted text that opens with the
// byte end at i. A doubled end byte stands for itself; with backslash, a
// backslash escapes the next byte.
func quoteEnd(s string, i int, end byte, backslash bool) int {
	for j := i + 1; j < len(s); j++ {
		switch {
		case backslash && s[j] == '\\':
			j++
		case s[j] == end:
			if j+1 < len(s) && s[j+1] == end {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// dollarTag returns the PostgreSQL dollar-quote tag ("$$" or "$name$") that
// starts at i, or "" when there is none there (a $1 placeholder).
func dollarTag(s string, i int) string {
	j := i + 1
	for j < len(s) && (s[j] == '_' || s[j] >= 0x80 || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' ||
		j > i+1 && '0' <= s[j] && s[j] <= '9') {
		j++
	}
	if j < len(s) && s[j] == '$' {
		return s[i : j+1]
	}
	return ""
}
