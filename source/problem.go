package source

import (
	"fmt"
	"strings"
)

// Problem is one defect of a migration source, at a file and line.
type Problem struct {
	File string
	// Line is 1-based; 0 when the problem is the file (or folder) as a whole.
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error is every problem found in a source, reported at once.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
