// Package event holds herd's typed fleet events: what rollouts and
// migrations tell the world. Progress bars, the JSON event stream, metrics
// and webhooks all subscribe to the same values; nothing parses log lines.
package event

import "time"

// Type names an event.
type Type string

// The fleet events.
const (
	RolloutStarted Type = "rollout.started"
	WaveStarted    Type = "wave.started"
	TenantStarted  Type = "tenant.started"
	// TenantMigrated says a tenant's migration committed and is recorded;
	// its bake time (health probes) follows, then TenantDone or
	// TenantRolledBack.
	TenantMigrated   Type = "tenant.migrated"
	TenantDone       Type = "tenant.done"
	TenantFailed     Type = "tenant.failed"
	TenantSkipped    Type = "tenant.skipped"
	TenantRolledBack Type = "tenant.rolled_back"
	// TenantMaintenancePlanned announces that a tenant will be migrated
	// when its maintenance window next opens.
	TenantMaintenancePlanned Type = "tenant.maintenance_planned"
	RolloutHalted            Type = "rollout.halted"
	RolloutPaused            Type = "rollout.paused"
	RolloutCompleted         Type = "rollout.completed"
	// RolloutCompletedWithFailures ends a rollout that ran every tenant
	// within its failure budgets while some failed or were rolled back.
	RolloutCompletedWithFailures Type = "rollout.completed_with_failures"
)

// Event is one thing that happened to a rollout or a tenant. Fields that do
// not apply are empty.
type Event struct {
	Type    Type      `json:"type"`
	Time    time.Time `json:"time"`
	Rollout int64     `json:"rollout,omitempty"`
	Wave    string    `json:"wave,omitempty"`
	Tenant  string    `json:"tenant,omitempty"`
	// From and To are schema versions without the leading v.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Reason says why: the error of a failure, the trigger of a rollback,
	// the cause of a halt, the rule that skipped a tenant.
	Reason string `json:"reason,omitempty"`
	// At is when a waiting tenant's maintenance window next opens.
	At *time.Time `json:"at,omitempty"`
}

// Sink receives events. Implementations must not block the caller for
// long: a slow subscriber (a webhook) queues and returns.
type Sink interface {
	Send(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Send calls f(e).
func (f SinkFunc) Send(e Event) { f(e) }

// Fanout sends every event to each of its sinks, in order.
type Fanout []Sink

// Send passes e to every sink.
func (fo Fanout) Send(e Event) {
	for _, s := range fo {
		s.Send(e)
	}
}
