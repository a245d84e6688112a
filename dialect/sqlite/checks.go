package sqlite

import (
	"strings"

	"github.com/herdhq/herd/dialect"
)

// token is one token of a CREATE TABLE statement: a word (a keyword or an
// identifier, its quotes taken off), a string literal, or one character
// of punctuation, with its place in the statement.
type token struct {
	text         string
	word, quoted bool
	start, end   int
}

// keyword reports whether t is the unquoted keyword kw.
func (t token) keyword(kw string) bool { return t.word && !t.quoted && strings.EqualFold(t.text, kw) }

// tokens splits a CREATE TABLE statement into tokens, leaving out white
// space and comments.
func tokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closing := c
			if c == '[' {
				closing = ']'
			}
			j := i + 1
			var b strings.Builder
			for j < len(s) {
				if s[j] == closing {
					if closing != ']' && j+1 < len(s) && s[j+1] == closing {
						b.WriteByte(closing)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{text: b.String(), word: c != '\'', quoted: true, start: i, end: min(j+1, len(s))})
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{text: s[i:j], word: true, start: i, end: j})
			i = j
		default:
			out = append(out, token{text: s[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// checks returns the check constraints that table definition def declares,
// on its columns and on the table, in the order it declares them: each
// with its name when a CONSTRAINT clause gives one, and its expression as
// written, with runs of white space made one space. SQLite keeps check
// constraints only in the text of the table's definition.
func checks(def string) []dialect.Check {
	toks := tokens(def)
	var out []dialect.Check
	for i := 0; i+1 < len(toks); i++ {
		if !toks[i].keyword("CHECK") || toks[i+1].text != "(" || toks[i+1].word {
			continue
		}
		depth, end := 0, -1
		for j := i + 1; j < len(toks) && end < 0; j++ {
			switch {
			case toks[j].word:
			case toks[j].text == "(":
				depth++
			case toks[j].text == ")":
				depth--
				if depth == 0 {
					end = j
				}
			}
		}
		if end < 0 {
			break
		}
		c := dialect.Check{Expr: strings.Join(strings.Fields(def[toks[i+1].end:toks[end].start]), " ")}
		if i >= 2 && toks[i-2].keyword("CONSTRAINT") {
			c.Name = toks[i-1].text
		}
		out = append(out, c)
		i = end
	}
	return out
}
