package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a herd.yaml, at a line of it.
type Problem struct {
	// File is the path of the file as it was given to Load or Parse
	// ("herd.yaml" when Parse was given no path).
	File string
	// Line is the 1-based line of the offending YAML node, or 0 when the
	// problem has no line (a required key that is missing).
	Line int
	// Msg says what is wrong, lower case, without the file and line. It
	// never contains a password.
	Msg string
}

// String renders the problem as "file:line: msg", or "file: msg" when it
// has no line.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error is the error Load and Parse return for a herd.yaml that cannot be
// used: a YAML syntax error, or every validation problem found, in line
// order.
type Error struct {
	Problems []Problem
}

// Error joins the problems one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects validation problems for one file.
type problems struct {
	file string
	list []Problem
}

// add records a problem at line. The message is formatted like
// fmt.Sprintf, then any URL in it has its password redacted: the last line
// of defence that keeps a DSN's password out of every message.
func (ps *problems) add(line int, format string, args ...any) {
	msg := redactURLs(fmt.Sprintf(format, args...))
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Msg: msg})
}

// err returns the collected problems as an *Error sorted by line, or nil
// when there are none.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return &Error{Problems: ps.list}
}
