package source

import "github.com/herdhq/herd/internal/problem"

// Problem is one defect of a migration source, at a file and line.
type Problem = problem.Problem

// Error is every problem found in a source, reported at once.
type Error = problem.List
