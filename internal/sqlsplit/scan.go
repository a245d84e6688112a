package sqlsplit

import "strings"

// spaceBytes are the bytes that separate tokens.
const spaceBytes = " \t\n\r\f\v"

func isSpace(c byte) bool { return strings.IndexByte(spaceBytes, c) >= 0 }

// isIdentByte reports whether c can appear in an unquoted identifier,
// keyword or number. Bytes of multi-byte UTF-8 sequences count as letters.
func isIdentByte(c byte) bool {
	return c == '_' || c >= 0x80 ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// tokenKind classifies the tokens the scanner returns. Splitting needs only a
// coarse view: it must see keywords and punctuation, and skip over whatever
// may hide a delimiter.
type tokenKind int

const (
	tokWord        tokenKind = iota + 1 // keyword, unquoted identifier or number
	tokPunct                            // any other single byte
	tokQuoted                           // string literal, quoted identifier, dollar-quoted body
	tokComment                          // line or block comment
	tokExecComment                      // MySQL /*! ... */ or MariaDB /*M! ... */, which the server runs
)

// token is one lexical token of a script.
type token struct {
	kind tokenKind
	text string // the token as written
	pos  int    // byte offset of its first byte
	line int    // 1-based line of its first byte
}

// word returns the token's text in upper case if it is a word, or "".
func (t token) word() string {
	if t.kind != tokWord {
		return ""
	}
	return strings.ToUpper(t.text)
}

// isPunct reports whether the token is the punctuation byte c.
func (t token) isPunct(c byte) bool {
	return t.kind == tokPunct && t.text[0] == c
}

// scanner cuts a script into tokens by the rules of one family. It is shared
// by all families; the few rules that differ are switched on family.
type scanner struct {
	src    string
	family Family
	delim  string // the statement delimiter; MySQL's DELIMITER changes it
	pos    int    // byte offset of the next unread byte
	line   int    // 1-based line of pos
}

func (s *scanner) eof() bool { return s.pos >= len(s.src) }

// peek returns the byte n bytes past the current one, or 0 past the end.
func (s *scanner) peek(n int) byte {
	if s.pos+n < len(s.src) {
		return s.src[s.pos+n]
	}
	return 0
}

// advance moves n bytes forward, counting line breaks. A "\r\n" counts as one
// line break because only its '\n' is counted.
func (s *scanner) advance(n int) {
	s.line += strings.Count(s.src[s.pos:s.pos+n], "\n")
	s.pos += n
}

func (s *scanner) skipSpace() {
	n := 0
	for s.pos+n < len(s.src) && isSpace(s.src[s.pos+n]) {
		n++
	}
	s.advance(n)
}

// next reads the token at the current position, which must not be at the end
// of the script or at whitespace. It fails on an unterminated quote or block
// comment, naming the line where it opens.
func (s *scanner) next() (token, error) {
	start, line := s.pos, s.line
	done := func(kind tokenKind) (token, error) {
		return token{kind: kind, text: s.src[start:s.pos], pos: start, line: line}, nil
	}
	fail := func(msg string) (token, error) {
		return token{}, &Error{Line: line, Msg: msg}
	}
	mysql := s.family == MySQL

	switch c := s.src[s.pos]; {
	case c == '\'':
		if !s.quoted('\'', true, mysql) {
			return fail("unterminated string literal")
		}
		return done(tokQuoted)
	case c == '"':
		if !s.quoted('"', true, mysql) {
			if mysql {
				return fail("unterminated string literal")
			}
			return fail("unterminated quoted identifier")
		}
		return done(tokQuoted)
	case c == '`' && s.family != Postgres, c == '[' && s.family == SQLite:
		end, doubled := c, true
		if c == '[' {
			end, doubled = ']', false
		}
		if !s.quoted(end, doubled, false) {
			return fail("unterminated quoted identifier")
		}
		return done(tokQuoted)
	case s.atLineComment():
		s.skipLine()
		return done(tokComment)
	case c == '/' && s.peek(1) == '*':
		kind, what := tokComment, "block comment"
		if mysql && (s.peek(2) == '!' || s.peek(2) == 'M' && s.peek(3) == '!') {
			kind, what = tokExecComment, "executable comment"
		}
		if !s.blockComment() {
			return fail("unterminated " + what)
		}
		return done(kind)
	case c == '$' && s.family == Postgres:
		if tag := s.dollarTag(); tag != "" {
			if !s.dollarQuoted(tag) {
				return fail("unterminated dollar-quoted string")
			}
			return done(tokQuoted)
		}
	case isIdentByte(c):
		s.word()
		// E'...' is PostgreSQL's string with C-style backslash escapes.
		if w := s.src[start:s.pos]; s.family == Postgres && (w == "E" || w == "e") && s.peek(0) == '\'' {
			if !s.quoted('\'', true, true) {
				return fail("unterminated string literal")
			}
			return done(tokQuoted)
		}
		return done(tokWord)
	}
	s.advance(1)
	return done(tokPunct)
}

// quoted reads a quoted string or identifier whose opening byte is at the
// current position and whose closing byte is end. A doubled end byte stands
// for itself if doubled is set; a backslash escapes the next byte if
// backslash is set. It reports false if the quote is never closed.
func (s *scanner) quoted(end byte, doubled, backslash bool) bool {
	for i := s.pos + 1; i < len(s.src); i++ {
		switch s.src[i] {
		case '\\':
			if backslash {
				i++
			}
		case end:
			if doubled && i+1 < len(s.src) && s.src[i+1] == end {
				i++
				continue
			}
			s.advance(i + 1 - s.pos)
			return true
		}
	}
	return false
}

// atLineComment reports whether a line comment starts at the current
// position: "--" (in MySQL only when followed by a blank, a control byte or
// the end of the script) or, in MySQL, "#".
func (s *scanner) atLineComment() bool {
	switch s.src[s.pos] {
	case '#':
		return s.family == MySQL
	case '-':
		return s.peek(1) == '-' && (s.family != MySQL || s.peek(2) <= ' ')
	}
	return false
}

// skipLine moves to the end of the line, leaving the line break unread.
func (s *scanner) skipLine() {
	n := strings.IndexByte(s.src[s.pos:], '\n')
	if n < 0 {
		n = len(s.src) - s.pos
	}
	s.advance(n)
}

// blockComment reads a /* */ comment starting at the current position.
// PostgreSQL block comments nest; the others end at the first "*/". It
// reports false if the comment is never closed.
func (s *scanner) blockComment() bool {
	depth := 1
	i := s.pos + 2
	for i+1 < len(s.src) {
		switch {
		case s.src[i] == '*' && s.src[i+1] == '/':
			i += 2
			if depth--; depth == 0 {
				s.advance(i - s.pos)
				return true
			}
		case s.family == Postgres && s.src[i] == '/' && s.src[i+1] == '*':
			i += 2
			depth++
		default:
			i++
		}
	}
	return false
}

// dollarTag returns the opening delimiter of a PostgreSQL dollar quote at the
// current position, "$$" or "$tag$", or "" if there is none there (as in the
// placeholder $1: a tag cannot start with a digit).
func (s *scanner) dollarTag() string {
	i := s.pos + 1
	if i < len(s.src) && isIdentByte(s.src[i]) && !('0' <= s.src[i] && s.src[i] <= '9') {
		for i < len(s.src) && isIdentByte(s.src[i]) {
			i++
		}
	}
	if i < len(s.src) && s.src[i] == '$' {
		return s.src[s.pos : i+1]
	}
	return ""
}

// dollarQuoted reads a dollar-quoted body opened by tag at the current
// position, up to and including the same tag. Other dollar quotes inside it,
// such as $$ inside $fn$, are plain text. It reports false if the tag never
// comes back.
func (s *scanner) dollarQuoted(tag string) bool {
	n := strings.Index(s.src[s.pos+len(tag):], tag)
	if n < 0 {
		return false
	}
	s.advance(len(tag) + n + len(tag))
	return true
}

// word reads a keyword, identifier or number. Identifiers may contain '$'
// after their first byte. Under a custom MySQL delimiter the word stops where
// the delimiter starts, so that "END$$" ends at "$$".
func (s *scanner) word() {
	i := s.pos + 1
	for i < len(s.src) && (isIdentByte(s.src[i]) || s.src[i] == '$') {
		if s.delim != ";" && strings.HasPrefix(s.src[i:], s.delim) {
			break
		}
		i++
	}
	s.advance(i - s.pos)
}

// Token is one significant token of a statement, for callers that look
// for keywords in it (herd lint does).
type Token struct {
	// Word is the token in upper case when it is a keyword, an unquoted
	// identifier or a number; "" otherwise.
	Word string
	// Punct is the byte of a punctuation token; 0 otherwise.
	Punct byte
	// Quoted is set for a string literal, a quoted identifier or a
	// dollar-quoted body: one token, none of whose words count.
	Quoted bool
	// Text is a quoted token as written, quotes included ('search_path',
	// "Name", $$…$$); "" for other tokens.
	Text string
	// Pos is the byte offset of the token's first byte in the statement.
	Pos int
}

// Tokens cuts one statement, as Split returns it, into its significant
// tokens by the rules of family f: comments are dropped (MySQL's
// executable /*! */ comments too), and quoted text is one Quoted token. It
// fails, naming the line, on an unterminated quote or comment.
func Tokens(stmt string, f Family) ([]Token, error) {
	s := scanner{src: stmt, family: f, delim: ";", line: 1}
	var out []Token
	for {
		s.skipSpace()
		if s.eof() {
			return out, nil
		}
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokWord:
			out = append(out, Token{Word: t.word(), Pos: t.pos})
		case tokPunct:
			out = append(out, Token{Punct: t.text[0], Pos: t.pos})
		case tokQuoted:
			out = append(out, Token{Quoted: true, Text: t.text, Pos: t.pos})
		}
	}
}

// Leading returns the first n tokens of stmt, as Tokens reads it by the
// rules of family f, upper-cased, while they are words: "DROP", "DATABASE"
// for "drop /* x */ database d". It returns fewer when the statement has
// fewer, or a token that is not a word comes first, and none when stmt
// cannot be read.
func Leading(stmt string, f Family, n int) []string {
	s := scanner{src: stmt, family: f, delim: ";", line: 1}
	var out []string
	for len(out) < n {
		s.skipSpace()
		if s.eof() {
			return out
		}
		t, err := s.next()
		switch {
		case err != nil:
			return nil
		case t.kind == tokComment || t.kind == tokExecComment:
			continue
		case t.kind != tokWord:
			return out
		}
		out = append(out, t.word())
	}
	return out
}

// Ident returns the identifier the token names: an unquoted word as
// Tokens upper-cased it, a quoted identifier ("name", `name`, [name])
// without its quotes; "" for anything else.
func (t Token) Ident() string {
	if t.Word != "" {
		return t.Word
	}
	if !t.Quoted || len(t.Text) < 2 {
		return ""
	}
	switch open, end := t.Text[0], t.Text[len(t.Text)-1]; {
	case open == '"' && end == '"', open == '`' && end == '`':
		q := t.Text[:1]
		return strings.ReplaceAll(t.Text[1:len(t.Text)-1], q+q, q)
	case open == '[' && end == ']':
		return t.Text[1 : len(t.Text)-1]
	}
	return ""
}
