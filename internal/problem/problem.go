package problem

import (
	"fmt"
	"strings"
)

// Problem is one defect at a file and line.
type Problem struct {
	// File is the file's path as the caller named it.
	File string
	// Line is 1-based; 0 when the problem concerns the whole file (or
	// folder), or a required key that is missing.
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

// List is every problem found, as one error.
type List struct {
	Problems []Problem
}

// Error joins the problems one per line.
func (l *List) Error() string {
	lines := make([]string, len(l.Problems))
	for i, p := range l.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
