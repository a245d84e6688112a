package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// job is one timed section, as a side's process receives it on stdin.
type job struct {
	Side        Side      `json:"side"`
	Operation   Operation `json:"operation"`
	Engine      string    `json:"engine"`
	Tenants     int       `json:"tenants"`
	Concurrency int       `json:"concurrency"`
	// To is the tenant schema version the section moves the fleet to
	// ("v2.0.0").
	To string `json:"to"`
	// Config and ConfigPath are the herd side's herd.yaml and the path it
	// is parsed as read from.
	Config     string `json:"config,omitempty"`
	ConfigPath string `json:"config_path,omitempty"`
	// ServerDSN and Databases are the floor's server and tenant databases.
	ServerDSN string   `json:"server_dsn,omitempty"`
	Databases []string `json:"databases,omitempty"`
	// CPUProfile, when set, is the file the section's CPU profile goes to.
	CPUProfile string `json:"cpu_profile,omitempty"`
	// Backfill, when set, makes the job one side of a backfill benchmark
	// (see RunBackfill) instead of a fleet migration.
	Backfill *backfillJob `json:"backfill,omitempty"`
	// Shadow, when set, makes the job one side of a shadow benchmark (see
	// RunShadow).
	Shadow *shadowJob `json:"shadow,omitempty"`
}

// result is what a side's process writes to stdout.
type result struct {
	Run SideRun `json:"run"`
	// Writer is the concurrent writer's figures of a backfill side.
	Writer WriterStats `json:"writer"`
	// Reader, ShadowWriter and Phases are a shadow benchmark side's
	// reader, writer and shadow migration phases.
	Reader       WriterStats       `json:"reader"`
	ShadowWriter ShadowWriterStats `json:"shadow_writer"`
	Phases       ShadowPhases      `json:"phases"`
	// ReadMaxDuring says what was under way when the reader's longest read
	// began (see StrategyRun).
	ReadMaxDuring string `json:"read_max_during,omitempty"`
	Error         string `json:"error,omitempty"`
}

// ServeSide runs one timed section in this process: it reads the job Run
// sends from r, times it and writes the result to w. It is the body of the
// process Options.Spawn starts (herd's hidden `bench side` command), and
// returns the section's error, which it also reports on w.
func ServeSide(ctx context.Context, r io.Reader, w io.Writer, dialects []dialect.Dialect) error {
	var j job
	if err := json.NewDecoder(r).Decode(&j); err != nil {
		return fmt.Errorf("bench: read the job: %w", err)
	}
	res, err := serve(ctx, j, dialects)
	if err != nil {
		res.Error = err.Error()
	}
	if werr := json.NewEncoder(w).Encode(res); werr != nil {
		return errors.Join(err, fmt.Errorf("bench: write the result: %w", werr))
	}
	return err
}

// serve times j: a backfill side, a shadow side or a fleet side.
func serve(ctx context.Context, j job, dialects []dialect.Dialect) (result, error) {
	if j.Backfill != nil {
		return timeBackfill(ctx, j, dialects)
	}
	if j.Shadow != nil {
		return timeShadow(ctx, j, dialects)
	}
	run, err := timeSide(ctx, j, dialects)
	return result{Run: run}, err
}

// time runs j in a new process when Options.Spawn is set, else here.
func (e *environment) time(ctx context.Context, j job) (SideRun, error) {
	res, err := e.serve(ctx, j)
	return res.Run, err
}

// serve runs j in a new process when Options.Spawn is set, else here, and
// returns its result.
func (e *environment) serve(ctx context.Context, j job) (result, error) {
	if e.opts.Spawn == nil {
		resetPeakRSS()
		return serve(ctx, j, e.opts.Dialects)
	}
	in, err := json.Marshal(j)
	if err != nil {
		return result{}, err
	}
	cmd := e.opts.Spawn(ctx)
	var out, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout = bytes.NewReader(in), &out
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	runErr := cmd.Run()
	var res result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		msg := strings.TrimSpace(stderr.String())
		return result{}, errors.Join(runErr, fmt.Errorf("side process: no result (%v) %s", err, msg))
	}
	if res.Error != "" {
		return result{}, errors.New(res.Error)
	}
	if runErr != nil {
		return result{}, fmt.Errorf("side process: %w", runErr)
	}
	return res, nil
}

// timeSide prepares j's side, then times its section.
func timeSide(ctx context.Context, j job, dialects []dialect.Dialect) (SideRun, error) {
	var section func(ctx context.Context) error
	switch j.Side {
	case Herd:
		f, err := openFleet(ctx, []byte(j.Config), j.ConfigPath, dialects)
		if err != nil {
			return SideRun{}, err
		}
		defer f.Close()
		section = func(ctx context.Context) error { return herdSection(ctx, f, j) }
	case Floor:
		d := dialect.Named(dialects, j.Engine)
		if d == nil {
			return SideRun{}, fmt.Errorf("bench: no dialect wired for engine %q", j.Engine)
		}
		releases, err := floorScripts(d, j.Operation.down())
		if err != nil {
			return SideRun{}, err
		}
		srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "floor", DSN: j.ServerDSN})
		if err != nil {
			return SideRun{}, fmt.Errorf("bench: floor: %w", err)
		}
		defer srv.Close()
		section = func(ctx context.Context) error {
			return each(ctx, len(j.Databases), j.Concurrency, func(i int) error {
				return floorTenant(ctx, srv, j.Databases[i], releases)
			})
		}
	default:
		return SideRun{}, fmt.Errorf("bench: unknown side %q", j.Side)
	}
	return timeSection(ctx, j.CPUProfile, section)
}

// timeSection runs section and measures it, with a CPU profile into
// profile when it is set.
func timeSection(ctx context.Context, profile string, section func(ctx context.Context) error) (SideRun, error) {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return SideRun{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return SideRun{}, fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	runtime.GC()
	before, start := readUsage(), time.Now()
	err := section(ctx)
	wall := time.Since(start)
	used := readUsage().sub(before)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	return SideRun{Wall: wall, CPU: used.CPU, PeakRSS: peakRSS(), ReadCalls: used.ReadCalls, WriteCalls: used.WriteCalls}, err
}

// herdSection is the herd side's timed work: j.Operation to j.To.
func herdSection(ctx context.Context, f *herd.Fleet, j job) error {
	if j.Operation == MigrateUp || j.Operation == MigrateDown {
		return f.MigrateAll(ctx, j.To, j.Concurrency)
	}
	m := f.Rollouts(rollout.Options{})
	r, _, err := m.Start(ctx, rollout.StartRequest{Release: j.To})
	if err != nil {
		return fmt.Errorf("bench: rollout start: %w", err)
	}
	out, err := m.Work(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("bench: rollout %d: %w", r.ID, err)
	}
	if out.Rollout.Status != control.RolloutCompleted || out.Failed > 0 {
		return fmt.Errorf("bench: rollout %d ended %s with %d tenants failed", r.ID, out.Rollout.Status, out.Failed)
	}
	return nil
}

// release is the statements of one tenant schema version's migrations in
// one direction.
type release struct {
	version    string
	statements []statement
}

// statement is one statement the floor runs, with its arguments.
type statement struct {
	sql  string
	args []any
}

// floorScripts returns what the floor applies for d: the tenant
// migrations' up statements version by version, or, down, the newest
// version's down statements, last migration first. Each script is the
// migration's override for the engine, else its plain file, cut by d's
// splitter.
func floorScripts(d dialect.Dialect, down bool) ([]release, error) {
	src, err := loadSource(d)
	if err != nil {
		return nil, err
	}
	ms := src.Migrations(source.Tenant)
	if down {
		versions := src.Versions(source.Tenant)
		newest := versions[len(versions)-1]
		ms = slices.DeleteFunc(slices.Clone(ms), func(m *source.Migration) bool { return !m.Version.Equal(newest) })
		slices.Reverse(ms)
	}
	return statements(d, ms, down)
}

// statements cuts ms's up (or down) scripts for d into releases.
func statements(d dialect.Dialect, ms []*source.Migration, down bool) ([]release, error) {
	var out []release
	for _, m := range ms {
		pick, dir := m.Up, "up"
		if down {
			pick, dir = m.Down, "down"
		}
		script, ok := pick(d.Name())
		if !ok {
			return nil, fmt.Errorf("bench: %s has no SQL %s script for %s", m.ID(), dir, d.Name())
		}
		stmts, err := d.Split(script.SQL)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", script.File, err)
		}
		v := m.Version.String()
		if len(out) == 0 || out[len(out)-1].version != v {
			out = append(out, release{version: v})
		}
		r := &out[len(out)-1]
		for _, st := range stmts {
			if m.Chunk != nil && !down {
				whole, err := wholeRange(d, st.SQL)
				if err != nil {
					return nil, fmt.Errorf("bench: %s: %w", script.File, err)
				}
				r.statements = append(r.statements, whole)
				continue
			}
			r.statements = append(r.statements, statement{sql: st.SQL})
		}
	}
	return out, nil
}

// wholeRange is the floor's form of a chunked migration's statement: one
// range over every integer key (the School ERP's chunked migrations walk
// integer ids), as a bare loop would run it, in one statement.
func wholeRange(d dialect.Dialect, stmt string) (statement, error) {
	sqlText, params, err := source.BindChunk(d, d.Placeholder, stmt)
	if err != nil {
		return statement{}, err
	}
	args := make([]any, len(params))
	for i, p := range params {
		args[i] = int64(math.MaxInt64)
		if p == source.ParamFrom {
			args[i] = int64(math.MinInt64)
		}
	}
	return statement{sql: sqlText, args: args}, nil
}

// loadSource loads the School ERP migrations for d; they hold overrides
// for the other engines too.
func loadSource(d dialect.Dialect) (*source.Source, error) {
	src, err := source.Load(migrations(), []source.Engine{d}, &source.Options{Known: config.Engines()})
	if err != nil {
		return nil, fmt.Errorf("bench: load the migrations: %w", err)
	}
	return src, nil
}

// floorTenant is the floor's work on one tenant: open its pool, run each
// release's statements in one transaction, close the pool.
func floorTenant(ctx context.Context, srv dialect.Server, name string, releases []release) (err error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	for _, r := range releases {
		tx, err := db.DB.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("floor: %s v%s: begin: %w", name, r.version, err)
		}
		for i, st := range r.statements {
			if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
				tx.Rollback() //nolint:errcheck // the statement's error is the one to report
				return fmt.Errorf("floor: %s v%s: statement %d: %w", name, r.version, i+1, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("floor: %s v%s: commit: %w", name, r.version, err)
		}
	}
	return nil
}
