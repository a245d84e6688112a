package execute

import (
	"errors"
	"fmt"

	"github.com/herdhq/herd/plan"
)

func (s *Session) fail(step plan.Step, a action, err error) error {
	return &MigrationError{Database: s.db.Name, Migration: step.Migration.ID(), Direction: step.Direction,
		Statement: a.n, File: a.file, Line: a.line, Err: err}
}

// ErrOutcomeUnknown marks a run that failed and then lost its database
// before the ledger could be read again: whether its last step committed
// is not known. Nothing may roll such a run back automatically; the next
// run reads the ledger first and settles it.
var ErrOutcomeUnknown = errors.New("outcome unknown: the ledger could not be read after the failure")

// MigrationError is a step that failed, naming the statement.
type MigrationError struct {
	Database  string
	Migration string
	Direction plan.Direction
	// Statement is the 1-based statement number, 0 when the failure was
	// outside the migration's statements (validation, ledger, commit).
	Statement int
	File      string
	Line      int
	Err       error
}

func (e *MigrationError) Error() string {
	where := ""
	if e.Statement > 0 {
		where = fmt.Sprintf(" statement %d", e.Statement)
		if e.File != "" {
			where += fmt.Sprintf(" (%s:%d)", e.File, e.Line)
		}
	}
	return fmt.Sprintf("%s (%s)%s: %v", e.Migration, e.Direction, where, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }
