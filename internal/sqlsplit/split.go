package sqlsplit

import (
	"fmt"
	"strings"
)

// Family is a lexical family of SQL engines: the engines of one family agree
// on how strings, identifiers, comments and statement delimiters are written.
type Family int

// The families Split understands.
const (
	// Postgres is PostgreSQL: nested block comments, dollar-quoted bodies,
	// E'' strings with backslash escapes and BEGIN ATOMIC function bodies.
	Postgres Family = iota + 1
	// MySQL is MySQL and MariaDB: backslash escapes in strings, # comments,
	// executable /*! */ comments, DELIMITER lines and BEGIN ... END bodies of
	// triggers, procedures, functions and events.
	MySQL
	// SQLite is SQLite: backtick and [bracket] identifiers and BEGIN ... END
	// trigger bodies.
	SQLite
)

// String returns the family's lower-case name: "postgres", "mysql" or
// "sqlite".
func (f Family) String() string {
	switch f {
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// Statement is one statement of a script.
type Statement struct {
	// SQL is the statement text exactly as written, without the comments
	// before its first token, the surrounding whitespace and the terminating
	// delimiter.
	SQL string
	// Line is the 1-based line of the script on which the statement's first
	// token starts.
	Line int
	// Comments are the comments that belong to the statement, as written
	// (with their -- or /* */): those between the previous statement's
	// delimiter line and its first token, those inside it, and those after
	// its delimiter on the delimiter's line. herd lint reads herd:allow
	// in them.
	Comments []string
}

// Error is a script that cannot be split, such as one with an unterminated
// string literal. Line is where the offending construct opens.
type Error struct {
	Line int    // 1-based line of the script
	Msg  string // what is wrong, e.g. "unterminated string literal"
}

// Error returns "line N: msg".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Split returns the statements of script in order, following the lexical
// rules of family f. Empty statements and statements made only of comments
// are dropped; a last statement without a delimiter is kept.
//
// A malformed script yields a nil slice and an *Error naming the line where
// the unterminated construct opens. An unknown family yields a plain error.
// Split is safe for concurrent use.
func Split(script string, f Family) ([]Statement, error) {
	switch f {
	case Postgres, MySQL, SQLite:
	default:
		return nil, fmt.Errorf("sqlsplit: unknown family %d", int(f))
	}
	p := splitter{scanner: scanner{src: script, family: f, delim: ";", line: 1}}
	return p.run()
}

// splitter groups the scanner's tokens into statements.
type splitter struct {
	scanner
	stmts     []Statement
	open      bool // a statement has started and not yet ended
	start     int  // offset of the open statement's first token
	startLine int  // line of the open statement's first token
	blocks    blockTracker
	// comments are those read since the last statement ended, for the
	// next one; endLine is the line of the last statement's delimiter.
	comments []string
	endLine  int
}

func (p *splitter) run() ([]Statement, error) {
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		if p.atDelimiter() {
			if err := p.finish(p.pos); err != nil {
				return nil, err
			}
			p.endLine = p.line
			p.advance(len(p.delim))
			continue
		}
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		if tok.kind == tokComment {
			p.comment(tok)
			continue
		}
		if !p.open {
			if p.isDelimiterCommand(tok) {
				if err := p.delimiterCommand(tok); err != nil {
					return nil, err
				}
				continue
			}
			p.open, p.start, p.startLine = true, tok.pos, tok.line
			p.blocks = blockTracker{family: p.family}
		}
		// Under a custom delimiter the script author has already said where
		// each statement ends, so bodies need no tracking.
		if p.delim == ";" {
			p.blocks.add(tok)
		}
	}
	if err := p.finish(len(p.src)); err != nil {
		return nil, err
	}
	return p.stmts, nil
}

// atDelimiter reports whether the current delimiter starts at the scanner's
// position and ends the open statement there. A ";" inside a trigger or
// routine body does not.
func (p *splitter) atDelimiter() bool {
	if !strings.HasPrefix(p.src[p.pos:], p.delim) {
		return false
	}
	return !p.open || p.delim != ";" || p.blocks.depth() == 0
}

// finish ends the open statement, if any, just before offset end.
func (p *splitter) finish(end int) error {
	if !p.open {
		return nil
	}
	p.open = false
	if b, ok := p.blocks.outermost(); ok {
		return &Error{Line: b.line, Msg: "unterminated " + b.describe()}
	}
	p.stmts = append(p.stmts, Statement{
		SQL:      strings.TrimRight(p.src[p.start:end], spaceBytes),
		Line:     p.startLine,
		Comments: p.comments,
	})
	p.comments = nil
	return nil
}

// comment gives a comment to the statement it belongs to: the last one
// when it follows that statement's delimiter on the same line, else the
// open or the next one.
func (p *splitter) comment(tok token) {
	if !p.open && len(p.stmts) > 0 && tok.line == p.endLine && p.comments == nil {
		last := &p.stmts[len(p.stmts)-1]
		last.Comments = append(last.Comments, tok.text)
		return
	}
	p.comments = append(p.comments, tok.text)
}

// isDelimiterCommand reports whether tok, the first token of a would-be
// statement, is the MySQL client's DELIMITER command: the word DELIMITER at
// the start of a line, followed by a blank or the end of the line.
func (p *splitter) isDelimiterCommand(tok token) bool {
	if p.family != MySQL || tok.kind != tokWord || !strings.EqualFold(tok.text, "DELIMITER") {
		return false
	}
	lineStart := strings.LastIndexByte(p.src[:tok.pos], '\n') + 1
	if strings.TrimLeft(p.src[lineStart:tok.pos], spaceBytes) != "" {
		return false
	}
	return p.eof() || isSpace(p.src[p.pos])
}

// delimiterCommand applies a DELIMITER command whose keyword is tok: the
// first word after it becomes the delimiter, and the rest of the line is
// ignored, as the mysql client does.
func (p *splitter) delimiterCommand(tok token) error {
	rest := p.src[p.pos:]
	if eol := strings.IndexByte(rest, '\n'); eol >= 0 {
		rest = rest[:eol]
	}
	args := strings.Fields(rest)
	if len(args) == 0 {
		return &Error{Line: tok.line, Msg: "DELIMITER without an argument"}
	}
	p.delim = args[0]
	p.advance(len(rest))
	return nil
}
