package execute

import (
	"time"

	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
)

// emit sends a step event of step to the Executor's sink, if it has one:
// statement n is set for StatementStarted, took when the migration ended,
// err when it failed.
func (s *Session) emit(t event.Type, step plan.Step, n int, took time.Duration, err error) {
	if s.e.events == nil {
		return
	}
	e := event.Event{Type: t, Time: s.e.now().UTC(), Database: s.db.Name, Migration: step.Migration.ID(),
		Direction: string(step.Direction), Statement: n, Duration: took}
	if err != nil {
		e.Reason = err.Error()
	}
	s.e.events.Send(e)
}

// finished emits the end of a step: MigrationDone, or MigrationFailed with
// err.
func (s *Session) finished(step plan.Step, took time.Duration, err error) {
	t := event.MigrationDone
	if err != nil {
		t = event.MigrationFailed
	}
	s.emit(t, step, 0, took, err)
}
