package execute

import (
	"time"

	"github.com/herdhq/herd/plan"
)

// EventKind names what happened.
type EventKind string

// The events an Executor emits.
const (
	MigrationStarted  EventKind = "migration_started"
	StatementStarted  EventKind = "statement_started"
	MigrationFinished EventKind = "migration_finished"
	MigrationFailed   EventKind = "migration_failed"
)

// Event is one thing that happened while applying a plan. Progress bars,
// JSON event streams and tests subscribe to them through Options.Observe.
type Event struct {
	Kind      EventKind
	Database  string
	Migration string
	Direction plan.Direction
	// Statement is set on StatementStarted.
	Statement int
	// Duration and Err are set when a migration ends.
	Duration time.Duration
	Err      error
}

func finished(err error) EventKind {
	if err != nil {
		return MigrationFailed
	}
	return MigrationFinished
}
