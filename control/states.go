package control

// Status is a database's migration status in database_schema_versions.
type Status string

// The migration statuses of a database.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
)

// Statuses returns every Status, in the order a database goes through them.
func Statuses() []Status {
	return []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed}
}

// RolloutStatus is the state of a rollout.
type RolloutStatus string

// The states of a rollout.
const (
	RolloutScheduled RolloutStatus = "scheduled"
	RolloutRunning   RolloutStatus = "running"
	RolloutPaused    RolloutStatus = "paused"
	RolloutHalted    RolloutStatus = "halted"
	RolloutAborted   RolloutStatus = "aborted"
	RolloutCompleted RolloutStatus = "completed"
	// RolloutCompletedWithFailures is a rollout that ran every tenant,
	// within its failure budgets, and some failed or were rolled back: it
	// has not proven its release.
	RolloutCompletedWithFailures RolloutStatus = "completed_with_failures"
)

// RolloutStatuses returns every RolloutStatus.
func RolloutStatuses() []RolloutStatus {
	return []RolloutStatus{RolloutScheduled, RolloutRunning, RolloutPaused, RolloutHalted, RolloutAborted,
		RolloutCompleted, RolloutCompletedWithFailures}
}

// Finished reports whether a rollout in state st will do no more work by
// itself.
func (st RolloutStatus) Finished() bool {
	switch st {
	case RolloutAborted, RolloutCompleted, RolloutCompletedWithFailures:
		return true
	}
	return false
}

// ItemState is the state of a rollout's tenant (work item).
type ItemState string

// The states of a rollout's tenant.
const (
	ItemPending    ItemState = "pending"
	ItemRunning    ItemState = "running"
	ItemDone       ItemState = "done"
	ItemFailed     ItemState = "failed"
	ItemSkipped    ItemState = "skipped"
	ItemRolledBack ItemState = "rolled_back"
)

// ItemStates returns every ItemState, in the order reports list them.
func ItemStates() []ItemState {
	return []ItemState{ItemPending, ItemRunning, ItemDone, ItemFailed, ItemRolledBack, ItemSkipped}
}

// Terminal reports whether an item in state st needs no more work.
func (st ItemState) Terminal() bool {
	switch st {
	case ItemDone, ItemFailed, ItemSkipped, ItemRolledBack:
		return true
	}
	return false
}

// Failed reports whether an item in state st failed, whether or not it
// was rolled back. Failures count against a wave's budget.
func (st ItemState) Failed() bool { return st == ItemFailed || st == ItemRolledBack }

// HistoryStatus is the outcome of one step in database_migration_history.
type HistoryStatus string

// The statuses of a history row.
const (
	HistorySuccess    HistoryStatus = "success"
	HistoryFailed     HistoryStatus = "failed"
	HistoryRolledBack HistoryStatus = "rolled_back"
)

// HistoryStatuses returns every HistoryStatus.
func HistoryStatuses() []HistoryStatus {
	return []HistoryStatus{HistorySuccess, HistoryFailed, HistoryRolledBack}
}

// Direction is which way a recorded step went.
type Direction string

// The directions of a step.
const (
	Up   Direction = "up"
	Down Direction = "down"
)
