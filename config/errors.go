package config

import (
	"fmt"
	"sort"

	"github.com/herdhq/herd/internal/problem"
)

// Problem is one thing wrong with a herd.yaml, at a line of it. File is
// the path as it was given to Load or Parse ("herd.yaml" when Parse was
// given no path).
type Problem = problem.Problem

// Error is the error Load and Parse return for a herd.yaml that cannot be
// used: a YAML syntax error, or every validation problem found, in line
// order.
type Error = problem.List

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
