package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing/fstest"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/shadow"
)

// The two sides of a shadow benchmark: the same migration of a tenant in
// place, and by shadow migration.
const (
	InPlace  Side = "in-place"
	ByShadow Side = "shadow"
)

// ShadowSides lists the sides of a shadow benchmark in the order the first
// run times them; the next run times them the other way round.
func ShadowSides() []Side { return []Side{InPlace, ByShadow} }

// The shadow benchmark's goals, from issue 18.
const (
	// GoalReadStall is the longest read stall the reader may see under a
	// shadow migration.
	GoalReadStall = 100 * time.Millisecond
	// GoalFreezeOverhead is how much longer than verifying the copy and
	// migrating the shadow the write freeze may last.
	GoalFreezeOverhead = 2 * time.Second
	// GoalTimeRatio is how many times an in-place migration's time a
	// shadow migration may take.
	GoalTimeRatio = 3.0
)

// ClientInterval is how often the shadow benchmark's reader reads, and its
// writer writes.
const ClientInterval = 10 * time.Millisecond

// shadowFrom and shadowTo are the tenant schema versions of the shadow
// benchmark's migration.
const (
	shadowFrom = "v1.0.0"
	shadowTo   = "v1.1.0"
)

// shadowCode is the code of side's tenant: "ip" in place, "sh" by
// shadow.
func shadowCode(side Side) string {
	if side == InPlace {
		return "ip"
	}
	return "sh"
}

// rebuildStudents is the column type change of grade, INT to BIGINT, in
// SQL SQLite runs: SQLite cannot change a column's type, so the table is
// rebuilt, as its documentation's twelve steps do.
func rebuildStudents(gradeType string) string {
	return `CREATE TABLE students_new (
  id INTEGER NOT NULL PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  grade ` + gradeType + ` NOT NULL,
  custom_fields VARCHAR(255),
  touched INT NOT NULL DEFAULT 0
);
INSERT INTO students_new (id, name, grade, custom_fields, touched) SELECT id, name, grade, custom_fields, touched FROM students;
DROP TABLE students;
ALTER TABLE students_new RENAME TO students;
`
}

// shadowMigrations are both sides' migrations: v1.0.0 makes the tables
// (those of the backfill benchmark); v1.1.0 changes the type of
// students.grade from INT to BIGINT, which rewrites the table on every
// engine (PostgreSQL's ALTER COLUMN TYPE under an ACCESS EXCLUSIVE lock,
// MySQL's ALTER TABLE by copy, SQLite's rebuild), and then backfills
// custom_fields as a chunked migration under header.
func shadowMigrations(header string) fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	return fstest.MapFS{
		"tenant/v1.0.0/001_students.up.sql":                file(studentsDDL),
		"tenant/v1.0.0/001_students.down.sql":              file("DROP TABLE students;\nDROP TABLE digits;\n"),
		"tenant/v1.1.0/002_grade_bigint.up.sql":            file(rebuildStudents("BIGINT")),
		"tenant/v1.1.0/002_grade_bigint.postgres.up.sql":   file("ALTER TABLE students ALTER COLUMN grade TYPE BIGINT;\n"),
		"tenant/v1.1.0/002_grade_bigint.mysql.up.sql":      file("ALTER TABLE students MODIFY grade BIGINT NOT NULL;\n"),
		"tenant/v1.1.0/002_grade_bigint.down.sql":          file(rebuildStudents("INT")),
		"tenant/v1.1.0/002_grade_bigint.postgres.down.sql": file("ALTER TABLE students ALTER COLUMN grade TYPE INT;\n"),
		"tenant/v1.1.0/002_grade_bigint.mysql.down.sql":    file("ALTER TABLE students MODIFY grade INT NOT NULL;\n"),
		"tenant/v1.1.0/003_backfill.up.sql": file(header + "\n" + backfillSet +
			" WHERE id > :from AND id <= :to;\n"),
		"tenant/v1.1.0/003_backfill.down.sql": file("UPDATE students SET custom_fields = NULL, touched = 0;\n"),
	}
}

// ShadowReport is the outcome of RunShadow.
type ShadowReport struct {
	Engine string `json:"engine"`
	Rows   int    `json:"rows"`
	Runs   int    `json:"runs"`
	// Header is the backfill's herd:chunked line (in place it runs in
	// chunks; on the shadow, whole).
	Header string `json:"header"`
	// Isolated says that each side ran in its own process.
	Isolated bool `json:"isolated"`
	// RouterRefresh is how often the clients' router reads the control
	// database.
	RouterRefresh time.Duration      `json:"router_refresh_ns"`
	InPlace       StrategyReport     `json:"in_place"`
	Shadow        StrategyReport     `json:"shadow"`
	Ratios        ShadowRatios       `json:"ratios"`
	Goals         []ShadowGoalResult `json:"goals"`
}

// ShadowRatios are shadow's figures over in place's, each taken within a
// run, and their medians over the runs.
type ShadowRatios struct {
	// Time is the migration's wall time, shadow over in place.
	TimeRuns []float64 `json:"time_runs"`
	Time     float64   `json:"time"`
	// ReadStall is the reader's longest wait, shadow over in place.
	ReadStallRuns []float64 `json:"read_stall_runs"`
	ReadStall     float64   `json:"read_stall"`
}

// ShadowGoalResult says whether one of the goals was met by the
// medians.
type ShadowGoalResult struct {
	Goal string `json:"goal"`
	// Figure is the measured value, in words.
	Figure string `json:"figure"`
	Met    bool   `json:"met"`
}

// StrategyReport is one side's figures over the runs: medians, run by
// run.
type StrategyReport struct {
	Runs []StrategyRun `json:"runs"`
	// Median is the median wall time of the migration.
	Median time.Duration `json:"median_ns"`
	// ReadMax and ReadP99 are the medians over the runs of each run's
	// longest read and 99th percentile.
	ReadMax time.Duration `json:"read_max_ns"`
	ReadP99 time.Duration `json:"read_p99_ns"`
	// WriteMax is the median of the writer's longest write (shadow only).
	WriteMax time.Duration `json:"write_max_ns"`
	// Phases are the medians of each phase's time (shadow only).
	Phases ShadowPhases `json:"phases"`
	// PeakRSS is the highest peak resident set size of the runs.
	PeakRSS int64 `json:"peak_rss_bytes"`
}

// StrategyRun is one side's timed migration.
type StrategyRun struct {
	SideRun
	// Reader is the reader's reads, from its start before the migration
	// to its stop once the router has had time to follow a switch.
	Reader WriterStats `json:"reader"`
	// Writer is the writer's statements (shadow only; in place, none).
	Writer ShadowWriterStats `json:"writer"`
	// Phases are the shadow migration's phases (zero in place).
	Phases ShadowPhases `json:"phases"`
	// ReadMaxDuring says what was under way when the longest read began:
	// a shadow phase (capture, copy, catchup, freeze, verify, migrate,
	// switch), "wrap-up" after the switch's event, "migration" in place,
	// or "after" the migration ended.
	ReadMaxDuring string `json:"read_max_during"`
}

// ShadowWriterStats are the shadow side's writer's figures: its
// statements' latencies, and what became of its inserts.
type ShadowWriterStats struct {
	WriterStats
	// Refused counts the writes it did not send because the router said
	// the tenant was read-only; Sealed, those the tenant's old database
	// refused once the tenant had moved (router.Moved), after which the
	// writer refreshed its router.
	Refused int `json:"refused"`
	Sealed  int `json:"sealed"`
	// Inserted counts the inserts the writer saw succeed; Lost, those of
	// them not in the migrated tenant afterwards; LostBeforeSwitch, those
	// of the lost it sent before herd's switch event (they waited for the
	// freeze and went to the old database once it ended), the others
	// being sent after it, to the old database the router still named.
	Inserted         int `json:"inserted"`
	Lost             int `json:"lost"`
	LostBeforeSwitch int `json:"lost_before_switch"`
}

// ShadowPhases are how long each phase of a shadow migration took, from
// herd's shadow.* events (their Duration).
type ShadowPhases struct {
	// Capture is shadow.capture: installing the capture; Copy, shadow.copy:
	// the copy; CatchUp, shadow.catchup online; Freeze, shadow.freeze:
	// taking the freeze (the last try).
	Capture time.Duration `json:"capture_ns"`
	Copy    time.Duration `json:"copy_ns"`
	CatchUp time.Duration `json:"catchup_ns"`
	Freeze  time.Duration `json:"freeze_ns"`
	// Verify is shadow.verify: the last catch-up under the freeze and the
	// comparison; Migrate, shadow.migrate; Switch, shadow.switch: the
	// switch in the control database, the seal of the old database and
	// the end of the freeze.
	Verify  time.Duration `json:"verify_ns"`
	Migrate time.Duration `json:"migrate_ns"`
	Switch  time.Duration `json:"switch_ns"`
	// WriteFreeze is how long the tenant's writes were frozen: from the
	// shadow.freeze event (the freeze held) to the shadow.switch event
	// (the freeze ended).
	WriteFreeze time.Duration `json:"write_freeze_ns"`
	// FreezeTries is how many tries freezing took.
	FreezeTries int `json:"freeze_tries"`
}

// Overhead is the part of the write freeze that is neither verifying nor
// migrating: what the issue bounds by 2 s.
func (p ShadowPhases) Overhead() time.Duration { return p.WriteFreeze - p.Verify - p.Migrate }

// shadowJob is a shadow benchmark side's part of a job.
type shadowJob struct {
	// Code is the side's tenant; its students are 1 to Rows.
	Code string `json:"code"`
	Rows int    `json:"rows"`
	// Header is the backfill's herd:chunked line.
	Header string `json:"header"`
}

// RunShadow times a migration of a tenant of Options.Rows students that
// rewrites the students table and backfills it, in place (Fleet.Migrate)
// and by shadow migration (Fleet.MigrateShadow), Options.Runs times,
// while a reader reads a student through the router every
// ClientInterval (and, for the shadow migration, a writer writes one,
// honouring the router's read-only signal). See the package doc. It drops
// every database it created before it returns, also on error.
func RunShadow(ctx context.Context, opts Options) (ShadowReport, error) {
	opts, d, err := opts.checkBackfill()
	if err != nil {
		return ShadowReport{}, err
	}
	env, err := newEnvironment(ctx, opts, d)
	if err != nil {
		return ShadowReport{}, err
	}
	defer env.close()
	rep := ShadowReport{Engine: opts.Engine, Rows: opts.Rows, Runs: opts.Runs, Header: opts.header(),
		Isolated: opts.Spawn != nil, RouterRefresh: clientRefresh}
	for run := 1; run <= opts.Runs; run++ {
		runs, err := env.shadowRun(ctx, run)
		if err != nil {
			return rep, err
		}
		rep.InPlace.Runs = append(rep.InPlace.Runs, runs[InPlace])
		rep.Shadow.Runs = append(rep.Shadow.Runs, runs[ByShadow])
		opts.Logger.Info("run done", "run", run, "of", opts.Runs,
			"in-place", runs[InPlace].Wall.Round(time.Millisecond), "shadow", runs[ByShadow].Wall.Round(time.Millisecond),
			"in-place read max", runs[InPlace].Reader.Max.Round(time.Millisecond),
			"shadow read max", runs[ByShadow].Reader.Max.Round(time.Millisecond),
			"write freeze", runs[ByShadow].Phases.WriteFreeze.Round(time.Millisecond))
	}
	summarizeShadow(&rep)
	return rep, nil
}

// shadowScratch is one run's databases.
type shadowScratch struct {
	herdConfig []byte
	herdPath   string
	// databases are the tenants' databases, by side.
	databases map[Side]string
	drops     []func(context.Context) error
}

// shadowRun builds run n's tenants, times both sides and drops them.
func (e *environment) shadowRun(ctx context.Context, n int) (runs map[Side]StrategyRun, err error) {
	s := &shadowScratch{databases: map[Side]string{}}
	defer func() { err = errors.Join(err, e.dropAll(ctx, n, s.drops)) }()
	e.opts.Logger.Info("filling the tenants", "run", n, "rows", e.opts.Rows)
	start := time.Now()
	if err := e.buildShadow(ctx, n, s); err != nil {
		return nil, err
	}
	e.opts.Logger.Info("tenants filled", "run", n, "took", time.Since(start).Round(time.Millisecond))
	sides := ShadowSides()
	if n%2 == 0 {
		sides[0], sides[1] = sides[1], sides[0]
	}
	runs = map[Side]StrategyRun{}
	for _, side := range sides {
		j := job{Side: side, Engine: e.opts.Engine, Config: string(s.herdConfig), ConfigPath: s.herdPath,
			Shadow: &shadowJob{Code: shadowCode(side), Rows: e.opts.Rows, Header: e.opts.header()}}
		if e.opts.ProfileDir != "" {
			j.CPUProfile = filepath.Join(e.opts.ProfileDir, fmt.Sprintf("%s-shadow-%s-run%d.pprof", e.opts.Engine, side, n))
		}
		e.settle(ctx)
		e.opts.Logger.Info("timing", "run", n, "side", side)
		res, err := e.serve(ctx, j)
		if err != nil {
			return nil, fmt.Errorf("bench: shadow run %d, %s side: %w", n, side, err)
		}
		runs[side] = StrategyRun{SideRun: res.Run, Reader: res.Reader, Writer: res.ShadowWriter, Phases: res.Phases,
			ReadMaxDuring: res.ReadMaxDuring}
	}
	return runs, nil
}

// buildShadow creates run n's control database and two tenants, one per
// side, migrated to v1.0.0 and filled with Options.Rows students.
func (e *environment) buildShadow(ctx context.Context, n int, s *shadowScratch) error {
	run := fmt.Sprintf("%s_r%d", e.prefix, n)
	var controlDSN, herdDSN, template string
	if e.files != nil {
		dir := filepath.Join(e.dir, run)
		s.drops = append(s.drops, func(context.Context) error { return os.RemoveAll(dir) })
		if err := os.MkdirAll(filepath.Join(dir, "herd"), 0o755); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		controlDSN, herdDSN = e.files.FileDSN(filepath.Join(dir, "control.db")), e.files.FileDSN(filepath.Join(dir, "herd"))
		s.herdPath = filepath.Join(dir, "herd.yaml")
		template = "t_{code}"
		for _, side := range ShadowSides() {
			s.databases[side] = "t_" + shadowCode(side)
		}
	} else {
		control := run + "_control"
		template = run + "_{code}"
		srv := e.server
		for _, side := range ShadowSides() {
			db := run + "_" + shadowCode(side)
			s.databases[side] = db
			// The shadow migration leaves the tenant's old database (the
			// rollback point) or, failed, drops its shadow; either name
			// may be left.
			sh, err := shadow.Name(db, srv.MaxNameLength())
			if err != nil {
				return fmt.Errorf("bench: %w", err)
			}
			for _, name := range []string{db, sh} {
				s.drops = append(s.drops, func(ctx context.Context) error { return srv.Drop(ctx, name) })
			}
		}
		s.drops = append(s.drops, func(ctx context.Context) error { return srv.Drop(ctx, control) })
		if err := srv.Create(ctx, control); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		u, err := url.Parse(e.opts.DSN)
		if err != nil {
			return fmt.Errorf("bench: dsn: %w", err)
		}
		u.Path = "/" + control
		controlDSN, herdDSN = u.String(), e.opts.DSN
	}
	s.herdConfig = []byte(fmt.Sprintf("control: %q\nservers:\n  main: %q\ntenant_database: %s\nmigrations: ./migrations\n",
		controlDSN, herdDSN, template))
	f, err := openFleetOn(ctx, s.herdConfig, s.herdPath, e.opts.Dialects, shadowMigrations(e.opts.header()))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, side := range ShadowSides() {
		code := shadowCode(side)
		if _, err := f.AddTenant(ctx, herd.TenantSpec{Code: code}); err != nil {
			return fmt.Errorf("bench: herd: %w", err)
		}
		if err := f.Migrate(ctx, control.TenantRef(code), shadowFrom); err != nil {
			return fmt.Errorf("bench: herd: %w", err)
		}
		b := backfillJob{ServerDSN: herdDSN, Database: s.databases[side]}
		if err := e.withDatabase(ctx, b, false, func(db *dialect.Database) error {
			return e.runScript(ctx, db, fillSQL(e.opts.Rows))
		}); err != nil {
			return fmt.Errorf("bench: fill tenant %s: %w", code, err)
		}
	}
	return nil
}

// summarizeShadow fills the figures of a shadow report from its runs.
func summarizeShadow(r *ShadowReport) {
	for _, s := range []*StrategyReport{&r.InPlace, &r.Shadow} {
		var walls, readMax, readP99, writeMax []time.Duration
		var ph [8][]time.Duration
		var tries []float64
		s.PeakRSS = 0
		for _, run := range s.Runs {
			walls = append(walls, run.Wall)
			readMax, readP99 = append(readMax, run.Reader.Max), append(readP99, run.Reader.P99)
			writeMax = append(writeMax, run.Writer.Max)
			p := run.Phases
			for i, d := range []time.Duration{p.Copy, p.CatchUp, p.Freeze, p.Verify, p.Migrate, p.Switch, p.WriteFreeze, p.Capture} {
				ph[i] = append(ph[i], d)
			}
			tries = append(tries, float64(p.FreezeTries))
			s.PeakRSS = max(s.PeakRSS, run.PeakRSS)
		}
		s.Median, s.ReadMax, s.ReadP99, s.WriteMax = median(walls), median(readMax), median(readP99), median(writeMax)
		s.Phases = ShadowPhases{Copy: median(ph[0]), CatchUp: median(ph[1]), Freeze: median(ph[2]), Verify: median(ph[3]),
			Migrate: median(ph[4]), Switch: median(ph[5]), WriteFreeze: median(ph[6]), Capture: median(ph[7]), FreezeTries: int(medianFloat(tries))}
	}
	n := min(len(r.InPlace.Runs), len(r.Shadow.Runs))
	r.Ratios = ShadowRatios{TimeRuns: make([]float64, n), ReadStallRuns: make([]float64, n)}
	var overheads []time.Duration
	for i := range n {
		in, sh := r.InPlace.Runs[i], r.Shadow.Runs[i]
		r.Ratios.TimeRuns[i] = ratio(sh.Wall, in.Wall)
		r.Ratios.ReadStallRuns[i] = ratio(sh.Reader.Max, in.Reader.Max)
		overheads = append(overheads, sh.Phases.Overhead())
	}
	r.Ratios.Time, r.Ratios.ReadStall = medianFloat(r.Ratios.TimeRuns), medianFloat(r.Ratios.ReadStallRuns)
	overhead := median(overheads)
	lost := 0
	for _, run := range r.Shadow.Runs {
		lost += run.Writer.Lost
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	r.Goals = []ShadowGoalResult{
		{Goal: "reads never stall over " + ms(GoalReadStall) + " under shadow",
			Figure: "longest read " + ms(r.Shadow.ReadMax) + " (median of the runs' longest)", Met: r.Shadow.ReadMax <= GoalReadStall},
		{Goal: "write freeze <= " + ms(GoalFreezeOverhead) + " + verify + migrate",
			Figure: fmt.Sprintf("freeze %s = verify %s + migrate %s + %s (median of the runs' rest)", ms(r.Shadow.Phases.WriteFreeze),
				ms(r.Shadow.Phases.Verify), ms(r.Shadow.Phases.Migrate), ms(overhead)), Met: n > 0 && overhead <= GoalFreezeOverhead},
		{Goal: fmt.Sprintf("total time <= %.0fx in place", GoalTimeRatio),
			Figure: fmt.Sprintf("shadow/in-place %.2f (median of the runs' ratios)", r.Ratios.Time), Met: n > 0 && r.Ratios.Time <= GoalTimeRatio},
		{Goal: "no write the writer saw succeed is lost",
			Figure: fmt.Sprintf("%d lost over the runs", lost), Met: lost == 0},
	}
}
