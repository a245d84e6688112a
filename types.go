package herd

import (
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/flags"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// The types of herd's API that the packages below it define. They are
// aliases, so a value is interchangeable with the package's own; a
// program that embeds herd (and herd's CLI) needs only this package to
// call a Fleet and read its results.
type (
	// Target is the kind of database a migration is for: SystemDatabase
	// or TenantDatabase.
	Target = source.Target
	// Ref names one database of the fleet: the system database
	// (SystemRef) or a tenant's (TenantRef).
	Ref = control.Ref
	// Tenant is a tenant's entry in the registry.
	Tenant = control.Tenant
	// VersionState is where a database stands in the control database:
	// its current and target versions, status and last error.
	VersionState = control.VersionState
	// HistoryEntry is one migration run in a database's history.
	HistoryEntry = control.HistoryEntry
	// ChunkProgress is how far a chunked migration begun and not finished
	// has got in one database.
	ChunkProgress = control.ChunkProgress
	// Snapshot is a kept rollback point of a tenant.
	Snapshot = control.Snapshot
	// Rollout is a rollout as the control database records it.
	Rollout = control.Rollout
	// RolloutItem is one tenant of a rollout: its wave, state, attempts
	// and last error.
	RolloutItem = control.Item
	// RolloutStatus is the state of a rollout (RolloutScheduled, ...).
	RolloutStatus = control.RolloutStatus
	// ItemState is the state of a rollout's tenant (ItemPending, ...).
	ItemState = control.ItemState
	// Plan is the path a database would take to a version.
	Plan = plan.Plan
	// Direction is a plan step's direction, up or down.
	Direction = plan.Direction
	// LedgerEntry is one migration in a database's own ledger.
	LedgerEntry = execute.Entry
	// RepairAction is what Repair does to a dirty migration.
	RepairAction = execute.RepairAction
	// InvalidIndex is an index a failed online build left behind (see
	// Fleet.InvalidIndexes).
	InvalidIndex = dialect.InvalidIndex
	// Uncertain says whether a statement whose outcome is unknown ran.
	Uncertain = execute.Uncertain
	// FlagResult is a flag's answer for a tenant, with herd's reason.
	FlagResult = flags.Result
	// FlagReason is why a flag is on or off for a tenant.
	FlagReason = flags.Reason
	// FlagOverride is a flag turned on or off for one tenant, or no
	// override.
	FlagOverride = flags.Override
	// RolloutOptions configure a rollout manager (see Fleet.Rollouts).
	RolloutOptions = rollout.Options
	// StartRequest describes a rollout to start.
	StartRequest = rollout.StartRequest
	// Outcome is how a rollout runner ended.
	Outcome = rollout.Outcome
)

// The kinds of database.
const (
	SystemDatabase = source.System
	TenantDatabase = source.Tenant
)

// SystemRef returns the system database's Ref.
func SystemRef() Ref { return control.SystemRef }

// TenantRef returns the Ref of tenant code's database.
func TenantRef(code string) Ref { return control.TenantRef(code) }

// The statuses of a rollout.
const (
	RolloutScheduled = control.RolloutScheduled
	RolloutRunning   = control.RolloutRunning
	RolloutPaused    = control.RolloutPaused
	RolloutHalted    = control.RolloutHalted
	RolloutAborted   = control.RolloutAborted
	RolloutCompleted = control.RolloutCompleted
)

// The states of a rollout's tenant (RolloutItem.State), in the order
// reports list them.
const (
	ItemPending    = control.ItemPending
	ItemRunning    = control.ItemRunning
	ItemDone       = control.ItemDone
	ItemFailed     = control.ItemFailed
	ItemRolledBack = control.ItemRolledBack
	ItemSkipped    = control.ItemSkipped
)

// ItemStates returns every state of a rollout's tenant, in the order
// reports list them.
func ItemStates() []ItemState { return control.ItemStates() }

// The repairs of a dirty migration (see execute.RepairAction).
const (
	RepairRetry          = execute.Retry
	RepairRollback       = execute.Rollback
	RepairMarkApplied    = execute.MarkApplied
	RepairMarkRolledBack = execute.MarkRolledBack
)

// Whether a statement with an unknown outcome ran, for Repair.
const (
	UncertainUnknown = execute.UncertainUnknown
	UncertainRan     = execute.UncertainRan
	UncertainNotRan  = execute.UncertainNotRan
)

// The overrides of a flag for one tenant.
const (
	FlagOverrideNone = flags.OverrideNone
	FlagOverrideOn   = flags.OverrideOn
	FlagOverrideOff  = flags.OverrideOff
)

// ErrNoTenant is wrapped by the input error of a selector that matches no
// tenant. It is rollout.ErrNoTenant.
var ErrNoTenant = rollout.ErrNoTenant
