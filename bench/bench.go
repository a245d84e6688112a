package bench

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/dialect"
	schoolerp "github.com/herdhq/herd/examples/school-erp"
)

// Side is one of the two timed sides.
type Side string

// The sides.
const (
	Herd  Side = "herd"
	Floor Side = "floor"
)

// Operation is what a benchmark times; see the package doc.
type Operation string

// The operations.
const (
	MigrateUp   Operation = "migrate"
	MigrateDown Operation = "migrate-down"
	RolloutUp   Operation = "rollout"
	RolloutDown Operation = "rollout-down"
)

// Operations lists every Operation, the default first.
func Operations() []Operation { return []Operation{MigrateUp, MigrateDown, RolloutUp, RolloutDown} }

// down says whether o takes the fleets from the latest version down.
func (o Operation) down() bool { return o == MigrateDown || o == RolloutDown }

// Options configure Run. Engine and Dialects are required, and DSN for an
// engine with a server (PostgreSQL, MySQL); the rest have defaults.
type Options struct {
	// Engine is the name of the dialect to measure: "sqlite", "postgres"
	// or "mysql" as cmd/herd wires them.
	Engine string
	// Operation is what is timed; default MigrateUp.
	Operation Operation
	// Tenants is the size of each fleet; default DefaultTenants(Engine).
	Tenants int
	// Runs is how many times both sides are timed; default 3. The figures
	// are medians over the runs.
	Runs int
	// Concurrency is how many tenants each side migrates at once; default 8.
	Concurrency int
	// DSN is the PostgreSQL or MySQL server the scratch databases are
	// created on, e.g. postgres://postgres@127.0.0.1:5432/postgres. Its
	// host must be a loopback address. Unused for SQLite.
	DSN string
	// Dir is the folder the fleets of an engine without a server
	// (SQLite, a dialect.Files) are built in; default a new temporary
	// folder, removed at the end. Run removes only what it created inside
	// a given Dir.
	Dir string
	// Dialects are the engines herd is wired with; Engine names one.
	Dialects []dialect.Dialect
	// Spawn, when set, returns a command that runs ServeSide in a new
	// process: Run then times each side of each run in its own process,
	// handing it its job on stdin and reading the result from stdout (see
	// the package doc, Memory). The command's stderr, when left nil, is
	// captured and quoted in errors. Nil runs both sides in this process.
	Spawn func(ctx context.Context) *exec.Cmd
	// ProfileDir, when set, receives a CPU profile of each timed section:
	// ENGINE-SIDE-runN.pprof. It is made when missing, before any fleet
	// is.
	ProfileDir string
	// Logger receives progress; default discards.
	Logger *slog.Logger
	// OnConflict is the herd side's herd.yaml on_conflict ("": herd's
	// default, the pre-flight on; "skip": off), so that the pre-flight's
	// cost can be measured.
	OnConflict string
	// DriftFresh is the herd side's herd.yaml drift_fresh (0: herd's
	// default, every pre-flight inspects its tenant).
	DriftFresh time.Duration

	// Rows, ChunkSize, Target and Pause are RunBackfill's and RunShadow's
	// (Run ignores them): the students table's size (default
	// DefaultRows), herd's size= and the OFFSET side's page size (default
	// DefaultChunkSize), and herd's target= (default DefaultTarget;
	// negative: none) and pause= (default none).
	Rows, ChunkSize int
	Target, Pause   time.Duration

	// Rate and Duration are RunAPI's: the requests a second sent to each
	// path (default DefaultAPIRate), for how long (default
	// DefaultAPIDuration).
	Rate     int
	Duration time.Duration
}

// defaultTenants are the fleet sizes the issue asks for, by dialect name.
var defaultTenants = map[string]int{"sqlite": 1000, "postgres": 200, "mysql": 100}

// DefaultTenants is the fleet size the issue asks for on the engine of
// that name: 1000 on SQLite, 200 on PostgreSQL, 100 on MySQL/MariaDB (0
// for another).
func DefaultTenants(engine string) int { return defaultTenants[engine] }

// Report is the outcome of Run.
type Report struct {
	Engine      string    `json:"engine"`
	Operation   Operation `json:"operation"`
	Tenants     int       `json:"tenants"`
	Runs        int       `json:"runs"`
	Concurrency int       `json:"concurrency"`
	// Isolated says that each side ran in its own process (Options.Spawn).
	Isolated bool       `json:"isolated"`
	Herd     SideReport `json:"herd"`
	Floor    SideReport `json:"floor"`
	// RunRatios are herd's wall time over the floor's, run by run.
	RunRatios []float64 `json:"run_ratios"`
	// Ratio is the median of RunRatios: the headline figure.
	Ratio float64 `json:"ratio"`
	// RatioOfMedians is herd's median wall time over the floor's.
	RatioOfMedians float64 `json:"ratio_of_medians"`
	// CPURatio is herd's mean CPU time over the floor's, each in its own
	// process. Where the engine runs in process (SQLite) and the machine
	// is busy with other work, it moves less than the wall-time ratio;
	// with a server, the server's work is not in it.
	CPURatio float64 `json:"cpu_ratio"`
}

// SideReport is one side's figures over the runs.
type SideReport struct {
	Runs []SideRun `json:"runs"`
	// Median is the median wall time of the runs.
	Median time.Duration `json:"median_ns"`
	// TenantsPerSecond is Tenants / Median.
	TenantsPerSecond float64 `json:"tenants_per_second"`
	// PeakRSS is the highest peak resident set size of the runs, in
	// bytes; 0 where the platform does not tell.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// CPU is the mean CPU time (user plus system) of the runs' timed
	// sections, in this side's process only: a database server's own work
	// is not in it.
	CPU time.Duration `json:"cpu_ns"`
	// WritesPerTenant is the mean of the runs' WriteCalls over Tenants.
	WritesPerTenant float64 `json:"write_syscalls_per_tenant"`
}

// SideRun is one timed section.
type SideRun struct {
	Wall time.Duration `json:"wall_ns"`
	CPU  time.Duration `json:"cpu_ns"`
	// PeakRSS is the process's peak resident set size in bytes.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// ReadCalls and WriteCalls are the read and write system calls the
	// timed section made (Linux): socket writes are the client's round
	// trips to a server, file writes SQLite's pages and WAL frames.
	ReadCalls  int64 `json:"read_syscalls"`
	WriteCalls int64 `json:"write_syscalls"`
}

// Run builds the fleets, times both sides Options.Runs times and returns
// the figures. Invalid options are a *herd.InputError. It drops every
// database it created before it returns, also on error and when ctx ends.
// Runs on the same server are safe to run at once: every name is unique.
func Run(ctx context.Context, opts Options) (Report, error) {
	opts, d, err := opts.check()
	if err != nil {
		return Report{}, err
	}
	env, err := newEnvironment(ctx, opts, d)
	if err != nil {
		return Report{}, err
	}
	defer env.close()
	rep := Report{Engine: opts.Engine, Operation: opts.Operation, Tenants: opts.Tenants, Runs: opts.Runs, Concurrency: opts.Concurrency,
		Isolated: opts.Spawn != nil}
	for run := 1; run <= opts.Runs; run++ {
		herdRun, floorRun, err := env.run(ctx, run)
		if err != nil {
			return rep, err
		}
		rep.Herd.Runs = append(rep.Herd.Runs, herdRun)
		rep.Floor.Runs = append(rep.Floor.Runs, floorRun)
		opts.Logger.Info("run done", "run", run, "of", opts.Runs,
			"herd", herdRun.Wall.Round(time.Millisecond), "floor", floorRun.Wall.Round(time.Millisecond),
			"ratio", fmt.Sprintf("%.3f", ratio(herdRun.Wall, floorRun.Wall)))
	}
	summarize(&rep)
	return rep, nil
}

// check validates opts, fills in the defaults and makes ProfileDir.
func (opts Options) check() (Options, dialect.Dialect, error) {
	if opts.Tenants == 0 {
		opts.Tenants = DefaultTenants(opts.Engine)
	}
	if opts.Runs == 0 {
		opts.Runs = 3
	}
	if opts.Operation == "" {
		opts.Operation = MigrateUp
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := dialect.Named(opts.Dialects, opts.Engine)
	_, files := d.(dialect.Files)
	switch {
	case d == nil:
		return opts.refuse("engine %q: want %s", opts.Engine, names(opts.Dialects))
	case !slices.Contains(Operations(), opts.Operation):
		return opts.refuse("operation %q: want one of %v", opts.Operation, Operations())
	case opts.Tenants < 1:
		return opts.refuse("tenants must be at least 1, not %d", opts.Tenants)
	case opts.Runs < 1:
		return opts.refuse("runs must be at least 1, not %d", opts.Runs)
	case opts.Concurrency < 1:
		return opts.refuse("concurrency must be at least 1, not %d", opts.Concurrency)
	case files && opts.DSN != "":
		return opts.refuse("a DSN is for an engine with a server; %s fleets are built in a folder (Dir)", opts.Engine)
	case !files && opts.DSN == "":
		return opts.refuse("engine %s needs the DSN of a loopback server", opts.Engine)
	}
	if !files {
		if err := checkLoopback(opts.DSN); err != nil {
			return opts, nil, &herd.InputError{Err: err}
		}
	}
	if opts.ProfileDir != "" {
		if err := os.MkdirAll(opts.ProfileDir, 0o755); err != nil {
			return opts, nil, fmt.Errorf("bench: profile directory: %w", err)
		}
	}
	return opts, d, nil
}

// refuse is a check's answer to bad options: opts, no dialect, and the
// input error that format and args say.
func (opts Options) refuse(format string, args ...any) (Options, dialect.Dialect, error) {
	return opts, nil, &herd.InputError{Err: fmt.Errorf("bench: "+format, args...)}
}

// names lists the names of ds for a message: "a, b or c".
func names(ds []dialect.Dialect) string {
	var out string
	for i, d := range ds {
		switch {
		case i == 0:
		case i == len(ds)-1:
			out += " or "
		default:
			out += ", "
		}
		out += d.Name()
	}
	return out
}

// migrations is the School ERP example's migrations folder.
func migrations() fs.FS {
	sub, err := fs.Sub(schoolerp.Files(), "migrations")
	if err != nil {
		panic(err) // the embedded folder is always there
	}
	return sub
}
