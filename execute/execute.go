package execute

import (
	"context"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/source"
)

// Options configures an Executor. A nil *Options means the defaults.
type Options struct {
	// LedgerTable is the ledger's table name; default DefaultLedgerTable.
	LedgerTable string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Events, if set, receives the step events (event.Type.Step) of every
	// migration, synchronously; its Database field is the database's
	// name. It must be safe for concurrent use when the Executor is used
	// concurrently.
	Events event.Sink
	// Splits, if set, is shared by the Executors of a fleet so that each
	// script is split once; default a cache of this Executor's own.
	Splits *Splits
	// Owner, if set, is the fleet the Executor works for: Lock refuses a
	// database that another fleet owns (an *OwnerError, before any
	// statement) and records this fleet as the owner of a database that
	// has none, and Provision records it in the databases it provisions.
	// Leave it nil for databases that are not tenants'.
	Owner *Owner
	// LockTimeout bounds each lock wait of a migration statement (see
	// dialect.SessionGuard); default DefaultLockTimeout.
	LockTimeout time.Duration
	// LockRetries is how many times a transaction (or, outside one, a
	// statement) that gave up on a lock is tried again, after a backoff
	// from half the lock timeout, doubling; zero or less means never.
	LockRetries int
	// WholeChunks runs each chunked migration going up as one statement
	// over every key of its table (see Session.wholeRange), in a
	// transaction with its validation and ledger row like any data
	// migration, instead of range by range. herd sets it for a tenant that
	// herd analyze found below large_tenants' thresholds.
	WholeChunks bool
	// Throttle, if set, is the throttle probe of the server the database
	// is on: a chunked migration waits before each range while it reads
	// over its maximum (see Throttle).
	Throttle *Throttle
	// Progress, if set, keeps the progress of each chunked migration as
	// its ranges commit, where other processes can read it.
	Progress ProgressRecorder
}

// Executor applies plans with one dialect. It is safe for concurrent use
// on different databases; the lock serialises work on the same one.
type Executor struct {
	dialect dialect.Dialect
	table   string
	now     func() time.Time
	events  event.Sink
	splits  *Splits
	owner   *Owner
	// lockTimeout and lockRetries are Options.LockTimeout (default
	// applied) and Options.LockRetries.
	lockTimeout time.Duration
	lockRetries int
	wholeChunks bool
	throttle    *Throttle
	progress    ProgressRecorder
}

// New returns an Executor for dialect d.
func New(d dialect.Dialect, opts *Options) *Executor {
	e := &Executor{dialect: d, table: DefaultLedgerTable, now: time.Now, splits: &Splits{}, lockTimeout: DefaultLockTimeout}
	if opts != nil {
		if opts.LockTimeout > 0 {
			e.lockTimeout = opts.LockTimeout
		}
		e.lockRetries = max(opts.LockRetries, 0)
		if opts.Splits != nil {
			e.splits = opts.Splits
		}
		if opts.LedgerTable != "" {
			e.table = opts.LedgerTable
		}
		if opts.Now != nil {
			e.now = opts.Now
		}
		e.events = opts.Events
		e.owner = opts.Owner
		e.wholeChunks = opts.WholeChunks
		e.throttle = opts.Throttle
		e.progress = opts.Progress
	}
	return e
}

// Recorder receives the outcome of every migration step, for the control
// database's history.
type Recorder interface {
	Record(ctx context.Context, r Result) error
}

// ProgressRecorder keeps the progress of chunked migrations where other
// processes can read it: herd keeps it in the control database, for herd
// serve's /metrics. It hears of a run's progress when a Chunk event would
// be sent (at most once a second, and once the walk is done, with
// p.Done set). It reports its own failures: a migration never fails
// because its progress went unrecorded.
type ProgressRecorder interface {
	ChunkProgress(ctx context.Context, migration string, p event.ChunkProgress)
}

// Result is the outcome of one step.
type Result struct {
	Migration *source.Migration
	Direction plan.Direction
	Checksum  string
	Started   time.Time
	Duration  time.Duration
	// Err is nil on success.
	Err error
	// Note, if set, says how a step came about that herd did not run: a
	// migration undone by restoring a snapshot.
	Note string
	// LockRetries counts the times the step (or the transaction it ran
	// in) gave up on a lock and was tried again.
	LockRetries int
}
