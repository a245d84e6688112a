package event

import (
	"strings"
	"time"
)

// Type names an event.
type Type string

// The fleet events: what happens to rollouts, their waves and tenants.
const (
	RolloutStarted Type = "rollout.started"
	// WaveStarted says a runner claims the first tenant of a wave none of
	// whose tenants was claimed before.
	WaveStarted   Type = "wave.started"
	TenantStarted Type = "tenant.started"
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

// The step events: the progress of one database's migration, as the
// executor runs it, and its snapshots. They are finer than the fleet
// events (see Type.Step).
const (
	MigrationStarted Type = "migration.started"
	// StatementStarted says statement Event.Statement of a migration is
	// about to run.
	StatementStarted Type = "statement.started"
	// MigrationDone says a migration committed in its database (the
	// control database is told after).
	MigrationDone   Type = "migration.done"
	MigrationFailed Type = "migration.failed"
	// LockRetry says a migration's transaction (Event.Statement 0) or
	// statement gave up waiting for a lock and runs again after
	// Event.Duration; Event.Reason names the lock where the engine tells.
	LockRetry Type = "lock.retry"
	// Chunk reports how far a chunked migration got (Event.Chunk): at most
	// once a second per database, and once more when its last range
	// committed.
	Chunk Type = "chunk.progress"
	// ChunkThrottled says a chunked migration waits before its next range
	// because its server's throttle probe reads over its maximum
	// (Event.Throttle): at most once a second per database while it waits.
	ChunkThrottled Type = "chunk.throttled"
	// SnapshotTaken says a tenant's rollback point (Event.Snapshot, at
	// version To) is taken and registered.
	SnapshotTaken Type = "snapshot.taken"
	// SnapshotRestored says a tenant's database was restored from
	// Event.Snapshot and verified, back at version To.
	SnapshotRestored Type = "snapshot.restored"
	// AnalysisDone says a tenant's size was measured (Event.Rows,
	// Event.Bytes) and recorded in the control database.
	AnalysisDone Type = "analysis.done"
	// AnalysisFailed says a tenant's size could not be measured or
	// recorded (Event.Reason).
	AnalysisFailed Type = "analysis.failed"
	// DriftChecked says a tenant's live schema was compared with the
	// reference of its version and the result recorded (Event.Reason
	// sums it up: "none", "customised: 2", "drifted: 1, customised: 2");
	// DriftFailed says it could not be (Event.Reason).
	DriftChecked Type = "drift.checked"
	DriftFailed  Type = "drift.failed"
	// The phases of a shadow migration of a tenant (herd migrate
	// --strategy shadow), each sent as it ends, with how long it took
	// (Event.Duration) and what it found (Event.Reason): the shadow
	// copied, caught up, the tenant's writes frozen, the copy verified,
	// the shadow migrated, the tenant switched to it; ShadowAbandoned
	// says why the tenant was left as it was and the shadow dropped.
	// ShadowCapture comes before them: the tenant's changes are captured
	// and the copy begins. ShadowCatchUpProgress is sent after each batch
	// of captured changes caught up (Event.Reason says how many remain).
	// ShadowCutOver comes before ShadowSwitch: the tenant's database is
	// sealed (it refuses writes) and its freeze ended with the seal (on a
	// server whose tenants swap names, PostgreSQL with a schema per
	// tenant, the tenant and its migrated copy swapped names with them),
	// and the control database is about to record the switch.
	ShadowCapture         Type = "shadow.capture"
	ShadowCopy            Type = "shadow.copy"
	ShadowCatchUpProgress Type = "shadow.catchup_progress"
	ShadowCatchUp         Type = "shadow.catchup"
	ShadowFreeze          Type = "shadow.freeze"
	ShadowVerify          Type = "shadow.verify"
	ShadowMigrate         Type = "shadow.migrate"
	ShadowCutOver         Type = "shadow.cutover"
	ShadowSwitch          Type = "shadow.switch"
	ShadowAbandoned       Type = "shadow.abandoned"
)

// Types returns every event type, the fleet events first, in the order
// they are declared. It is the one list of them: herd.yaml's webhooks are
// checked against it.
func Types() []Type {
	return []Type{
		RolloutStarted, WaveStarted,
		TenantStarted, TenantMigrated, TenantDone, TenantFailed, TenantSkipped,
		TenantRolledBack, TenantMaintenancePlanned,
		RolloutHalted, RolloutPaused, RolloutCompleted, RolloutCompletedWithFailures,
		MigrationStarted, StatementStarted, MigrationDone, MigrationFailed, LockRetry, Chunk, ChunkThrottled,
		SnapshotTaken, SnapshotRestored,
		AnalysisDone, AnalysisFailed, DriftChecked, DriftFailed,
		ShadowCapture, ShadowCopy, ShadowCatchUpProgress, ShadowCatchUp, ShadowFreeze, ShadowVerify, ShadowMigrate, ShadowCutOver, ShadowSwitch, ShadowAbandoned,
	}
}

// Step reports whether t is a step event (migration.*, statement.*,
// lock.*, chunk.*, snapshot.*, analysis.*, drift.*, shadow.*), of one database rather than
// of the fleet. The rollout event stream (herd rollout --json) carries the
// fleet events, Chunk and ChunkThrottled; webhooks carry the fleet events
// only.
func (t Type) Step() bool {
	kind, _, _ := strings.Cut(string(t), ".")
	switch kind {
	case "migration", "statement", "lock", "chunk", "snapshot", "analysis", "drift", "shadow":
		return true
	}
	return false
}

// Event is one thing that happened to a rollout, a tenant or a database.
// Fields that do not apply are empty, and left out of its JSON.
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

	// Database names the database of a step event: "system" or
	// `tenant "code"`.
	Database string `json:"database,omitempty"`
	// Migration is a step event's migration ID ("v1.1.0/003_fees").
	Migration string `json:"migration,omitempty"`
	// Direction is a step event's direction, "up" or "down".
	Direction string `json:"direction,omitempty"`
	// Statement is the 1-based statement number of StatementStarted.
	Statement int `json:"statement,omitempty"`
	// Duration is how long a finished migration took.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Snapshot names the snapshot of a snapshot event.
	Snapshot string `json:"snapshot,omitempty"`
	// Rows and Bytes are the size AnalysisDone measured.
	Rows  int64 `json:"rows,omitempty"`
	Bytes int64 `json:"bytes,omitempty"`
	// Chunk is a Chunk event's progress.
	Chunk *ChunkProgress `json:"chunk,omitempty"`
	// Throttle is a ChunkThrottled event's probe reading.
	Throttle *Throttle `json:"throttle,omitempty"`
}

// Throttle is what a server's throttle probe read while a chunked
// migration waited on it.
type Throttle struct {
	// Server names the server whose probe it is.
	Server string `json:"server"`
	// Value is what the probe's query returned; Max the value above which
	// herd waits.
	Value float64 `json:"value"`
	Max   float64 `json:"max"`
	// Waited is how long this wait has lasted so far.
	Waited time.Duration `json:"waited_ns"`
}

// ChunkProgress is how far a chunked migration got in one database.
type ChunkProgress struct {
	// Table and Key are the table walked and its key column.
	Table string `json:"table"`
	Key   string `json:"key"`
	// From and To bound the last range that committed: keys above From,
	// up to and including To, as text.
	From string `json:"from"`
	To   string `json:"to"`
	// Rows counts the rows the statement changed, over every run of the
	// migration; Ranges the ranges this run committed.
	Rows   int64 `json:"rows"`
	Ranges int   `json:"ranges"`
	// Size is the keys the next range holds, as it adapts.
	Size int `json:"size"`
	// Throttled is how long this run waited on its server's throttle
	// probe in all.
	Throttled time.Duration `json:"throttled_ns,omitempty"`
	// Share is how much of an integer key's span the walk has covered,
	// from 0 to 1: (To - least key) / (greatest key - least key), both as
	// the run found them when it began; 0 for a text key, whose span
	// herd cannot measure.
	Share float64 `json:"share,omitempty"`
	// Done is set on the event of the last range.
	Done bool `json:"done,omitempty"`
}

// Sink receives events, synchronously: the caller goes on once Send
// returns, so a subscriber may act at an exact point of a run (the tests'
// fault injection does). Implementations must not block for long: a slow
// subscriber (a webhook) queues and returns. A Sink shared by concurrent
// runs must be safe for concurrent use.
type Sink interface {
	Send(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Send calls f(e).
func (f SinkFunc) Send(e Event) { f(e) }

// Fanout sends every event to each of its sinks, in order; nil sinks are
// passed over.
type Fanout []Sink

// Send passes e to every sink.
func (fo Fanout) Send(e Event) {
	for _, s := range fo {
		if s != nil {
			s.Send(e)
		}
	}
}
