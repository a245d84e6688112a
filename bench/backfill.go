package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
)

// Offset is the third side of a backfill benchmark: the brief's OFFSET
// chunking.
const Offset Side = "offset"

// BackfillSides lists the sides of a backfill benchmark in the order the
// first run times them; each next run starts one further along.
func BackfillSides() []Side { return []Side{Floor, Herd, Offset} }

// The backfill benchmark's defaults.
const (
	DefaultRows      = 1_000_000
	DefaultChunkSize = 10_000
	DefaultTarget    = 250 * time.Millisecond
	// WriterInterval is how often the concurrent writer updates a student.
	WriterInterval = 5 * time.Millisecond
)

// backfillCode is the code of the herd side's one tenant.
const backfillCode = "b1"

// studentsDDL makes the benchmark's tables, in SQL every engine runs: a
// helper table of the ten digits, which fills students, and students.
const studentsDDL = `CREATE TABLE digits (d INT NOT NULL PRIMARY KEY);
INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TABLE students (
  id INTEGER NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  grade INT NOT NULL,
  custom_fields VARCHAR(255),
  touched INT NOT NULL DEFAULT 0
);
`

// backfillSet is what every side's UPDATE sets: custom_fields, and the
// witness touched, which counts how often a row was changed.
const backfillSet = "UPDATE students SET custom_fields = '{}', touched = touched + 1"

// BackfillReport is the outcome of RunBackfill.
type BackfillReport struct {
	Engine string `json:"engine"`
	Rows   int    `json:"rows"`
	Runs   int    `json:"runs"`
	// Header is the herd side's herd:chunked line; ChunkSize is also the
	// OFFSET side's page size.
	Header    string `json:"header"`
	ChunkSize int    `json:"chunk_size"`
	// Isolated says that each side ran in its own process.
	Isolated bool               `json:"isolated"`
	Floor    BackfillSideReport `json:"floor"`
	Herd     BackfillSideReport `json:"herd"`
	Offset   BackfillSideReport `json:"offset"`
	// ThroughputRatios are herd's rows/s over the floor's (the floor's wall
	// time over herd's), run by run; Throughput is their median.
	ThroughputRatios []float64 `json:"throughput_ratios"`
	Throughput       float64   `json:"throughput"`
	// SpeedupRatios are the OFFSET side's wall time over herd's, run by
	// run; Speedup is their median.
	SpeedupRatios []float64 `json:"speedup_ratios"`
	Speedup       float64   `json:"speedup"`
}

// BackfillSideReport is one side's figures over the runs.
type BackfillSideReport struct {
	Runs []BackfillRun `json:"runs"`
	// Median is the median wall time; RowsPerSecond is Rows / Median.
	Median        time.Duration `json:"median_ns"`
	RowsPerSecond float64       `json:"rows_per_second"`
	// PeakRSS is the highest peak resident set size of the runs.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// WriterP50, WriterP99 and WriterMax are the medians over the runs of
	// each run's writer figures.
	WriterP50 time.Duration `json:"writer_p50_ns"`
	WriterP99 time.Duration `json:"writer_p99_ns"`
	WriterMax time.Duration `json:"writer_max_ns"`
}

// BackfillRun is one side's timed section.
type BackfillRun struct {
	SideRun
	Writer WriterStats `json:"writer"`
}

// WriterStats are a concurrent client's statements during a section (the
// backfill benchmark's writer, the shadow benchmark's reader and writer):
// how many, how many failed, and their latencies (how long each waited,
// its own work included).
type WriterStats struct {
	Statements int           `json:"statements"`
	Errors     int           `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
}

// backfillJob is a backfill side's part of a job.
type backfillJob struct {
	// ServerDSN and Database are where the side's students table is: the
	// writer's database, and the one the floor and OFFSET sides update.
	ServerDSN string `json:"server_dsn"`
	Database  string `json:"database"`
	Rows      int    `json:"rows"`
	ChunkSize int    `json:"chunk_size"`
	// Pause is slept between two pages of the OFFSET side, as herd's
	// header has it pause between two ranges.
	Pause time.Duration `json:"pause,omitempty"`
	// Header is the herd side's herd:chunked line.
	Header string `json:"header,omitempty"`
}

// RunBackfill times a backfill of one students table of Options.Rows rows
// three ways, Options.Runs times: the floor (one UPDATE of the whole table
// in one transaction), herd (a herd:chunked migration migrated for the
// tenant, as `herd migrate --tenant` does) and the brief's OFFSET
// chunking, each while a writer updates a random student every
// WriterInterval. See the package doc. It drops every database it created
// before it returns, also on error.
func RunBackfill(ctx context.Context, opts Options) (BackfillReport, error) {
	opts, d, err := opts.checkBackfill()
	if err != nil {
		return BackfillReport{}, err
	}
	env, err := newEnvironment(ctx, opts, d)
	if err != nil {
		return BackfillReport{}, err
	}
	defer env.close()
	rep := BackfillReport{Engine: opts.Engine, Rows: opts.Rows, Runs: opts.Runs, Header: opts.header(),
		ChunkSize: opts.ChunkSize, Isolated: opts.Spawn != nil}
	for run := 1; run <= opts.Runs; run++ {
		runs, err := env.backfillRun(ctx, run)
		if err != nil {
			return rep, err
		}
		rep.Floor.Runs = append(rep.Floor.Runs, runs[Floor])
		rep.Herd.Runs = append(rep.Herd.Runs, runs[Herd])
		rep.Offset.Runs = append(rep.Offset.Runs, runs[Offset])
		opts.Logger.Info("run done", "run", run, "of", opts.Runs, "floor", runs[Floor].Wall.Round(time.Millisecond),
			"herd", runs[Herd].Wall.Round(time.Millisecond), "offset", runs[Offset].Wall.Round(time.Millisecond))
	}
	summarizeBackfill(&rep)
	return rep, nil
}

// checkBackfill validates opts for RunBackfill and fills in the defaults.
func (opts Options) checkBackfill() (Options, dialect.Dialect, error) {
	if opts.Rows == 0 {
		opts.Rows = DefaultRows
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.Target == 0 {
		opts.Target = DefaultTarget
	}
	switch {
	case opts.Rows < 1:
		return opts.refuse("rows must be at least 1, not %d", opts.Rows)
	case opts.ChunkSize < 1 || opts.ChunkSize > 1_000_000:
		return opts.refuse("chunk size must be 1 to 1000000, not %d", opts.ChunkSize)
	case opts.Pause < 0:
		return opts.refuse("pause must not be negative, not %s", opts.Pause)
	}
	return opts.check()
}

// header is the herd side's herd:chunked line.
func (opts Options) header() string {
	h := fmt.Sprintf("-- herd:chunked table=students key=id size=%d", opts.ChunkSize)
	if opts.Pause > 0 {
		h += " pause=" + opts.Pause.String()
	}
	if opts.Target > 0 {
		h += " target=" + opts.Target.String()
	}
	return h
}

// backfillMigrations are the herd side's migrations: v1.0.0 makes the
// tables, v1.1.0 is the chunked backfill under header.
func backfillMigrations(header string) fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"tenant/v1.0.0/001_students.up.sql":   file(studentsDDL),
		"tenant/v1.0.0/001_students.down.sql": file("DROP TABLE students;\nDROP TABLE digits;\n"),
		"tenant/v1.1.0/002_backfill.up.sql": file(header + "\n" + backfillSet +
			" WHERE id > :from AND id <= :to;\n"),
		"tenant/v1.1.0/002_backfill.down.sql": file("UPDATE students SET custom_fields = NULL, touched = 0;\n"),
	}
}

// fillSQL inserts students 1 to rows, from cross joins of digits.
func fillSQL(rows int) string {
	var terms, tables []string
	for i, scale := 0, 1; scale < rows || i == 0; i, scale = i+1, scale*10 {
		terms = append(terms, fmt.Sprintf("%d * a%d.d", scale, i))
		tables = append(tables, fmt.Sprintf("digits a%d", i))
	}
	return fmt.Sprintf("INSERT INTO students (id, name, grade) SELECT n, 'student', n %% 12 FROM (SELECT %s + 1 AS n FROM %s) s WHERE n <= %d",
		strings.Join(terms, " + "), strings.Join(tables, ", "), rows)
}

// backfillScratch is one run's databases.
type backfillScratch struct {
	// herdConfig and herdPath are the herd side's herd.yaml and its path.
	herdConfig []byte
	herdPath   string
	// sides are each side's students database.
	sides map[Side]backfillJob
	drops []func(context.Context) error
}

// backfillRun builds run n's databases, times the three sides, checks that
// each changed every row once and drops the databases.
func (e *environment) backfillRun(ctx context.Context, n int) (runs map[Side]BackfillRun, err error) {
	s := &backfillScratch{sides: map[Side]backfillJob{}}
	defer func() { err = errors.Join(err, e.dropAll(ctx, n, s.drops)) }()
	e.opts.Logger.Info("filling the students tables", "run", n, "rows", e.opts.Rows)
	start := time.Now()
	if err := e.buildBackfill(ctx, n, s); err != nil {
		return nil, err
	}
	e.opts.Logger.Info("tables filled", "run", n, "took", time.Since(start).Round(time.Millisecond))
	sides := BackfillSides()
	k := (n - 1) % len(sides)
	sides = append(sides[k:], sides[:k]...)
	runs = map[Side]BackfillRun{}
	for _, side := range sides {
		b := s.sides[side]
		j := job{Side: side, Engine: e.opts.Engine, Backfill: &b}
		if side == Herd {
			j.Config, j.ConfigPath = string(s.herdConfig), s.herdPath
		}
		if e.opts.ProfileDir != "" {
			j.CPUProfile = filepath.Join(e.opts.ProfileDir, fmt.Sprintf("%s-backfill-%s-run%d.pprof", e.opts.Engine, side, n))
		}
		e.settle(ctx)
		e.opts.Logger.Info("timing", "run", n, "side", side)
		res, err := e.serve(ctx, j)
		if err != nil {
			return nil, fmt.Errorf("bench: backfill run %d, %s side: %w", n, side, err)
		}
		if err := e.checkOnce(ctx, b); err != nil {
			return nil, fmt.Errorf("bench: backfill run %d, %s side: %w", n, side, err)
		}
		runs[side] = BackfillRun{SideRun: res.Run, Writer: res.Writer}
	}
	return runs, nil
}

// buildBackfill creates run n's databases and fills their students
// tables: herd's control database and its one tenant, migrated to v1.0.0,
// and a database each for the floor and the OFFSET side.
func (e *environment) buildBackfill(ctx context.Context, n int, s *backfillScratch) error {
	run := fmt.Sprintf("%s_r%d", e.prefix, n)
	var controlDSN, herdDSN, plainDSN, template, herdDB string
	plain := map[Side]string{}
	if e.files != nil {
		dir := filepath.Join(e.dir, run)
		s.drops = append(s.drops, func(context.Context) error { return os.RemoveAll(dir) })
		for _, sub := range []string{"herd", "plain"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
		controlDSN = e.files.FileDSN(filepath.Join(dir, "control.db"))
		herdDSN, plainDSN = e.files.FileDSN(filepath.Join(dir, "herd")), e.files.FileDSN(filepath.Join(dir, "plain"))
		s.herdPath = filepath.Join(dir, "herd.yaml")
		template, herdDB = "t_{code}", "t_"+backfillCode
		plain[Floor], plain[Offset] = "floor", "offset"
	} else {
		control := run + "_control"
		template, herdDB = run+"_h_{code}", run+"_h_"+backfillCode
		plain[Floor], plain[Offset] = run+"_floor", run+"_offset"
		srv := e.server
		for _, name := range []string{herdDB, plain[Floor], plain[Offset], control} {
			s.drops = append(s.drops, func(ctx context.Context) error { return srv.Drop(ctx, name) })
		}
		if err := srv.Create(ctx, control); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		u, err := url.Parse(e.opts.DSN)
		if err != nil {
			return fmt.Errorf("bench: dsn: %w", err)
		}
		u.Path = "/" + control
		controlDSN, herdDSN, plainDSN = u.String(), e.opts.DSN, e.opts.DSN
	}
	s.herdConfig = []byte(fmt.Sprintf("control: %q\nservers:\n  main: %q\ntenant_database: %s\nmigrations: ./migrations\n",
		controlDSN, herdDSN, template))
	side := func(dsn, db string) backfillJob {
		return backfillJob{ServerDSN: dsn, Database: db, Rows: e.opts.Rows, ChunkSize: e.opts.ChunkSize, Pause: e.opts.Pause, Header: e.opts.header()}
	}
	s.sides[Herd] = side(herdDSN, herdDB)
	s.sides[Floor] = side(plainDSN, plain[Floor])
	s.sides[Offset] = side(plainDSN, plain[Offset])
	if err := e.buildBackfillHerd(ctx, s); err != nil {
		return err
	}
	for _, sd := range []Side{Floor, Offset} {
		if err := e.withDatabase(ctx, s.sides[sd], true, func(db *dialect.Database) error {
			return e.runScript(ctx, db, studentsDDL+fillSQL(e.opts.Rows))
		}); err != nil {
			return fmt.Errorf("bench: %s side's table: %w", sd, err)
		}
	}
	return nil
}

// buildBackfillHerd adds herd's tenant (the migrations have no system
// database),
// migrates it to v1.0.0 and fills its students table.
func (e *environment) buildBackfillHerd(ctx context.Context, s *backfillScratch) error {
	f, err := openFleetOn(ctx, s.herdConfig, s.herdPath, e.opts.Dialects, backfillMigrations(e.opts.header()))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.AddTenant(ctx, herd.TenantSpec{Code: backfillCode}); err != nil {
		return fmt.Errorf("bench: herd: %w", err)
	}
	if err := f.Migrate(ctx, control.TenantRef(backfillCode), "v1.0.0"); err != nil {
		return fmt.Errorf("bench: herd: %w", err)
	}
	return e.withDatabase(ctx, s.sides[Herd], false, func(db *dialect.Database) error {
		return e.runScript(ctx, db, fillSQL(e.opts.Rows))
	})
}

// withDatabase opens b's database, creating it first if create is set,
// and calls fn with it.
func (e *environment) withDatabase(ctx context.Context, b backfillJob, create bool, fn func(*dialect.Database) error) (err error) {
	srv := e.server
	if e.files != nil {
		if srv, err = e.d.OpenServer(ctx, dialect.ServerConfig{Name: "backfill", DSN: b.ServerDSN}); err != nil {
			return err
		}
		defer srv.Close()
	}
	if create {
		if err := srv.Create(ctx, b.Database); err != nil {
			return err
		}
	}
	db, err := srv.Open(ctx, b.Database)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return fn(db)
}

// runScript runs script's statements, cut by the dialect, one by one.
func (e *environment) runScript(ctx context.Context, db *dialect.Database, script string) error {
	stmts, err := e.d.Split(script)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if _, err := db.DB.ExecContext(ctx, st.SQL); err != nil {
			return fmt.Errorf("%.60s…: %w", st.SQL, err)
		}
	}
	return nil
}

// checkOnce fails unless every row of b's students table was changed
// exactly once.
func (e *environment) checkOnce(ctx context.Context, b backfillJob) error {
	return e.withDatabase(ctx, b, false, func(db *dialect.Database) error {
		var rows, once int
		err := db.DB.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN touched = 1 THEN 1 ELSE 0 END), 0) FROM students").
			Scan(&rows, &once)
		if err != nil {
			return fmt.Errorf("count the rows changed: %w", err)
		}
		if rows != b.Rows || once != b.Rows {
			return fmt.Errorf("%d of %d rows changed exactly once (the table holds %d)", once, b.Rows, rows)
		}
		return nil
	})
}

// summarizeBackfill fills the figures of a backfill report from its runs.
func summarizeBackfill(r *BackfillReport) {
	for _, s := range []*BackfillSideReport{&r.Floor, &r.Herd, &r.Offset} {
		var walls, p50, p99, most []time.Duration
		s.PeakRSS = 0
		for _, run := range s.Runs {
			walls = append(walls, run.Wall)
			p50, p99, most = append(p50, run.Writer.P50), append(p99, run.Writer.P99), append(most, run.Writer.Max)
			s.PeakRSS = max(s.PeakRSS, run.PeakRSS)
		}
		s.Median = median(walls)
		s.RowsPerSecond = perSecond(r.Rows, s.Median)
		s.WriterP50, s.WriterP99, s.WriterMax = median(p50), median(p99), median(most)
	}
	n := min(len(r.Floor.Runs), len(r.Herd.Runs), len(r.Offset.Runs))
	r.ThroughputRatios, r.SpeedupRatios = make([]float64, n), make([]float64, n)
	for i := range n {
		r.ThroughputRatios[i] = ratio(r.Floor.Runs[i].Wall, r.Herd.Runs[i].Wall)
		r.SpeedupRatios[i] = ratio(r.Offset.Runs[i].Wall, r.Herd.Runs[i].Wall)
	}
	r.Throughput, r.Speedup = medianFloat(r.ThroughputRatios), medianFloat(r.SpeedupRatios)
}

// dropAll runs run n's drops, even when ctx has ended (within
// cleanupTimeout), and joins their errors.
func (e *environment) dropAll(ctx context.Context, n int, drops []func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	e.opts.Logger.Info("dropping the run's databases", "run", n)
	var err error
	for _, drop := range drops {
		err = errors.Join(err, drop(cctx))
	}
	return err
}
