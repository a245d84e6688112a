package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/source"
)

// cleanupTimeout bounds dropping a run's databases once ctx has ended.
const cleanupTimeout = 10 * time.Minute

// environment is where one benchmark's scratch databases live: a folder
// for SQLite, the server at Options.DSN otherwise.
type environment struct {
	opts Options
	d    dialect.Dialect
	// prefix starts every database name of this benchmark ("hb1a2b3c4d").
	prefix string
	// files is d when its databases are files (SQLite), else nil.
	files dialect.Files
	// dir is the folder files's fleets are built in; removeDir says Run
	// made it.
	dir       string
	removeDir bool
	// server is the PostgreSQL or MySQL server (nil when files is set).
	server dialect.Server
	// latest and previous are the two newest tenant schema versions
	// ("v2.0.0"); previous is "" when there is only one.
	latest, previous string
}

func newEnvironment(ctx context.Context, opts Options, d dialect.Dialect) (*environment, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("bench: random name: %w", err)
	}
	e := &environment{opts: opts, d: d, prefix: "hb" + hex.EncodeToString(b)}
	src, err := loadSource(d)
	if err != nil {
		return nil, err
	}
	versions := src.Versions(source.Tenant)
	e.latest = "v" + versions[len(versions)-1].String()
	if len(versions) > 1 {
		e.previous = "v" + versions[len(versions)-2].String()
	} else if opts.Operation.down() {
		return nil, fmt.Errorf("bench: %s needs two tenant schema versions, the migrations have %d", opts.Operation, len(versions))
	}
	if files, ok := d.(dialect.Files); ok {
		e.files, e.dir = files, opts.Dir
		if e.dir == "" {
			dir, err := os.MkdirTemp("", "herd-bench-")
			if err != nil {
				return nil, fmt.Errorf("bench: scratch folder: %w", err)
			}
			e.dir, e.removeDir = dir, true
		}
		abs, err := filepath.Abs(e.dir)
		if err != nil {
			return nil, fmt.Errorf("bench: scratch folder: %w", err)
		}
		e.dir = abs
		return e, nil
	}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "bench", DSN: opts.DSN})
	if err != nil {
		return nil, &herd.InputError{Err: fmt.Errorf("bench: %w", err)}
	}
	e.server = srv
	return e, nil
}

// close releases the server, and removes the scratch folder Run made.
func (e *environment) close() {
	if e.server != nil {
		e.server.Close()
	}
	if e.removeDir {
		os.RemoveAll(e.dir)
	}
}

// scratch is one run's pair of fleets.
type scratch struct {
	// herdConfig is the herd side's herd.yaml, parsed as if read from
	// herdPath.
	herdConfig []byte
	herdPath   string
	// floorDSN is the server holding floorNames, the floor's databases.
	floorDSN   string
	floorNames []string
	// drops remove what the run created, in order.
	drops []func(context.Context) error
}

// run builds run number n's fleets, times both sides and drops the fleets.
func (e *environment) run(ctx context.Context, n int) (herdRun, floorRun SideRun, err error) {
	s := &scratch{}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		e.opts.Logger.Info("dropping the run's databases", "run", n)
		err = errors.Join(err, s.drop(cctx))
	}()
	e.opts.Logger.Info("creating the fleets", "run", n, "tenants", e.opts.Tenants)
	start := time.Now()
	if err := e.build(ctx, n, s); err != nil {
		return SideRun{}, SideRun{}, err
	}
	e.opts.Logger.Info("fleets created", "run", n, "took", time.Since(start).Round(time.Millisecond))
	op, to := e.opts.Operation, e.latest
	if op.down() {
		to = e.previous
	}
	jobs := []job{
		{Side: Herd, Operation: op, To: to, Engine: e.opts.Engine, Concurrency: e.opts.Concurrency,
			Tenants: e.opts.Tenants, Config: string(s.herdConfig), ConfigPath: s.herdPath},
		{Side: Floor, Operation: op, To: to, Engine: e.opts.Engine, Concurrency: e.opts.Concurrency,
			Tenants: e.opts.Tenants, ServerDSN: s.floorDSN, Databases: s.floorNames},
	}
	if n%2 == 0 {
		jobs[0], jobs[1] = jobs[1], jobs[0]
	}
	for _, j := range jobs {
		if e.opts.ProfileDir != "" {
			j.CPUProfile = filepath.Join(e.opts.ProfileDir, fmt.Sprintf("%s-%s-run%d.pprof", e.opts.Engine, j.Side, n))
		}
		e.settle(ctx)
		e.opts.Logger.Info("timing", "run", n, "side", j.Side)
		res, err := e.time(ctx, j)
		if err != nil {
			return SideRun{}, SideRun{}, fmt.Errorf("bench: run %d, %s side: %w", n, j.Side, err)
		}
		if j.Side == Herd {
			herdRun = res
		} else {
			floorRun = res
		}
	}
	return herdRun, floorRun, nil
}

// checkpointer is a server that can write out what earlier work left in
// its buffers (PostgreSQL's CHECKPOINT).
type checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// settle lets the server catch up with the work before a timed section,
// so that neither side pays for the other's writes or for building the
// fleets: SQLite's files are synced to disk, PostgreSQL checkpoints.
// Where that fails (no privilege), the run goes on and says so.
func (e *environment) settle(ctx context.Context) {
	if e.server == nil {
		syncDisks()
		return
	}
	c, ok := e.server.(checkpointer)
	if !ok {
		return
	}
	if err := c.Checkpoint(ctx); err != nil {
		e.opts.Logger.Warn("could not settle the server before timing", "err", err)
	}
}

// build creates run n's two fleets: herd's control database, migrated to
// the latest system version, with every tenant registered and its
// database created; and the floor's databases. For a downward operation
// both fleets are then migrated to the latest tenant version.
func (e *environment) build(ctx context.Context, n int, s *scratch) error {
	codes := make([]string, e.opts.Tenants)
	for i := range codes {
		codes[i] = fmt.Sprintf("t%05d", i+1)
	}
	run := fmt.Sprintf("%s_r%d", e.prefix, n)
	var controlDSN, herdDSN, template string
	var floor dialect.Server
	if e.files != nil {
		dir := filepath.Join(e.dir, run)
		s.drops = append(s.drops, func(context.Context) error { return os.RemoveAll(dir) })
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		controlDSN = e.files.FileDSN(filepath.Join(dir, "control.db"))
		herdDSN = e.files.FileDSN(filepath.Join(dir, "herd"))
		s.floorDSN = e.files.FileDSN(filepath.Join(dir, "floor"))
		s.herdPath = filepath.Join(dir, "herd.yaml")
		template = "t_{code}"
		for _, c := range codes {
			s.floorNames = append(s.floorNames, "t_"+c)
		}
		var err error
		if floor, err = e.d.OpenServer(ctx, dialect.ServerConfig{Name: "floor", DSN: s.floorDSN}); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer floor.Close()
	} else {
		control := run + "_control"
		template = run + "_h_{code}"
		names := []string{control}
		for _, c := range codes {
			names = append(names, run+"_h_"+c)
			s.floorNames = append(s.floorNames, run+"_f_"+c)
		}
		names = append(names, s.floorNames...)
		// Drop is a no-op for a database that was never made, so every
		// name is registered before the first is created; the control
		// database goes last.
		srv, workers := e.server, e.opts.Concurrency
		s.drops = append(s.drops, func(ctx context.Context) error {
			return eachAll(ctx, len(names)-1, workers, func(i int) error { return srv.Drop(ctx, names[i+1]) })
		}, func(ctx context.Context) error { return srv.Drop(ctx, control) })
		if err := e.server.Create(ctx, control); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		u, err := url.Parse(e.opts.DSN)
		if err != nil {
			return fmt.Errorf("bench: dsn: %w", err)
		}
		u.Path = "/" + control
		controlDSN, herdDSN, s.floorDSN = u.String(), e.opts.DSN, e.opts.DSN
		floor = e.server
	}
	s.herdConfig = []byte(fmt.Sprintf("control: %q\nservers:\n  main: %q\ntenant_database: %s\nmigrations: ./migrations\n"+
		"rollout:\n  concurrency: %d\nlarge_tenants:\n  rows: %d\n", controlDSN, herdDSN, template, e.opts.Concurrency, largeRows))
	if e.opts.DriftFresh > 0 {
		s.herdConfig = append(s.herdConfig, fmt.Sprintf("drift_fresh: %s\n", e.opts.DriftFresh)...)
	}
	if e.opts.OnConflict != "" {
		s.herdConfig = append(s.herdConfig, fmt.Sprintf("on_conflict: %s\n", e.opts.OnConflict)...)
	}
	if err := e.buildHerd(ctx, s, codes); err != nil {
		return err
	}
	var up []release
	if e.opts.Operation.down() {
		var err error
		if up, err = floorScripts(e.d, false); err != nil {
			return err
		}
	}
	return each(ctx, len(s.floorNames), e.opts.Concurrency, func(i int) error {
		if err := floor.Create(ctx, s.floorNames[i]); err != nil {
			return fmt.Errorf("bench: floor: %w", err)
		}
		if len(up) > 0 {
			return floorTenant(ctx, floor, s.floorNames[i], up)
		}
		return nil
	})
}

// largeRows is the herd side's large_tenants threshold, the one the
// docs/large-tenants.md suggests.
const largeRows = 1_000_000

// buildHerd opens herd's fleet, migrates its system database, registers
// the tenants, creating their databases, and analyses them (herd analyze)
// as an operator does before a release: below largeRows, they run the
// School ERP's chunked backfill whole.
func (e *environment) buildHerd(ctx context.Context, s *scratch, codes []string) error {
	f, err := openFleet(ctx, s.herdConfig, s.herdPath, e.opts.Dialects)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Migrate(ctx, control.SystemRef, ""); err != nil {
		return fmt.Errorf("bench: herd: %w", err)
	}
	err = each(ctx, len(codes), e.opts.Concurrency, func(i int) error {
		_, err := f.AddTenant(ctx, herd.TenantSpec{Code: codes[i]})
		return err
	})
	if err == nil {
		_, err = f.AnalyzeTenants(ctx, herd.Selection{}, e.opts.Concurrency)
	}
	if err == nil && e.opts.Operation.down() {
		err = f.MigrateAll(ctx, e.latest, e.opts.Concurrency)
	}
	if err != nil {
		return fmt.Errorf("bench: herd: %w", err)
	}
	return nil
}

// openFleet opens the herd side's fleet on the School ERP migrations.
func openFleet(ctx context.Context, yaml []byte, path string, dialects []dialect.Dialect) (*herd.Fleet, error) {
	return openFleetOn(ctx, yaml, path, dialects, migrations())
}

// openFleetOn opens a fleet on the migrations in fsys.
func openFleetOn(ctx context.Context, yaml []byte, path string, dialects []dialect.Dialect, fsys fs.FS) (*herd.Fleet, error) {
	cfg, err := config.Parse(yaml, path)
	if err != nil {
		return nil, fmt.Errorf("bench: herd.yaml: %w", err)
	}
	f, err := herd.Open(ctx, cfg, dialects, herd.Options{Migrations: fsys, Actor: "bench"})
	if err != nil {
		return nil, fmt.Errorf("bench: herd: %w", err)
	}
	return f, nil
}

// drop runs every drop, joining their errors.
func (s *scratch) drop(ctx context.Context) error {
	var errs []error
	for _, d := range s.drops {
		errs = append(errs, d(ctx))
	}
	return errors.Join(errs...)
}

// each calls fn(0) … fn(n-1) on at most workers goroutines. After the first
// error, or once ctx ends, it starts no new call; it returns every error.
func each(ctx context.Context, n, workers int, fn func(i int) error) error {
	return parallel(ctx, n, workers, true, fn)
}

// eachAll is each that goes on after errors, for cleaning up.
func eachAll(ctx context.Context, n, workers int, fn func(i int) error) error {
	return parallel(ctx, n, workers, false, fn)
}

func parallel(ctx context.Context, n, workers int, stopOnError bool, fn func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		errs   []error
		wg     sync.WaitGroup
	)
	for range min(workers, n) {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					failed.Store(stopOnError)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil && int(next.Load()) < n {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// checkLoopback refuses a DSN whose host is not a loopback address: the
// benchmark creates and drops hundreds of databases.
func checkLoopback(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return errors.New("bench: the dsn does not parse as a URL")
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("bench: server host %q is not a loopback address; the benchmark creates and drops databases, so it only runs against a local server", host)
}
