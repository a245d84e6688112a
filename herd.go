package herd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/drift"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/execute"
	"github.com/herdhq/herd/internal/locklint"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/release"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// Dialect is an engine herd can use: the application wires the ones its
// herd.yaml needs into Open (herd has no registry of its own).
type Dialect = dialect.Dialect

// Options are a Fleet's optional settings; the zero value is the
// defaults each field names.
type Options struct {
	// Migrations is the migration source; default os.DirFS of the
	// configuration's migrations folder.
	Migrations fs.FS
	// Go are Go migrations added to the SQL ones.
	Go []source.GoMigration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Events receives every event of the fleet's work, synchronously: the
	// steps of each migration (with Database set) and snapshot, and the
	// rollout and tenant events of its rollout managers (see
	// Fleet.Rollouts). It must be safe for concurrent use; optional.
	Events event.Sink
	// Logger hears of what herd rides out or cannot act on without
	// failing the run (warnings: a lost connection tried again, a lock or
	// connection that could not be released, a snapshot retention that
	// failed); rollout managers log through it too unless their own
	// Options name another. Default discards.
	Logger *slog.Logger
	// Reconnect is how long herd keeps trying to reach a database whose
	// connection failed where giving up would misreport a run: recording
	// a committed migration in the control database, and reading a
	// tenant's ledger to learn whether a run that lost its connection
	// committed. Default 30 seconds; negative means no second try.
	Reconnect time.Duration
	// Actor names who acts, in the audit log; default "cli".
	Actor string
}

// Fleet is an open fleet: the control database, the servers and the
// migration source. It is safe for concurrent use.
type Fleet struct {
	cfg      *config.Config
	dialects []dialect.Dialect
	src      *source.Source
	matrix   *release.Matrix
	opts     Options
	control  *control.Store
	system   *dialect.Database
	systemD  dialect.Dialect
	servers  map[string]server
	// splits holds the migrations' scripts split into statements, once
	// for the whole fleet.
	splits execute.Splits
	// owner is this fleet's identity, recorded in the tenant databases it
	// writes to.
	owner execute.Owner
	// refs builds each reference schema herd drift needs once, and
	// rehearsals runs each pre-flight rehearsal once.
	refs       flights[drift.Schema]
	rehearsals flights[rehearsal]
}

// server is one configured server with its engine.
type server struct {
	dialect.Server
	dialect dialect.Dialect
	cfg     config.Server
}

// throttle is the server's throttle probe as the executor takes it, or
// nil when herd.yaml gives it none.
func (s server) throttle() *execute.Throttle {
	t := s.cfg.Throttle
	if t == nil {
		return nil
	}
	return &execute.Throttle{Server: s.cfg.Name, Query: t.Query, Max: t.Max, Interval: t.Interval}
}

// LoadSource loads and checks the configured migration source for the
// engines the configuration uses, each read by its dialect among
// dialects, without touching any database. Override files may name any
// engine herd.yaml can (config.Engines); a DSN whose engine is not among
// dialects is an *InputError.
func LoadSource(cfg *config.Config, dialects []Dialect, opts Options) (*source.Source, error) {
	fsys := opts.Migrations
	if fsys == nil {
		if _, err := os.Stat(cfg.Migrations); err != nil {
			return nil, &InputError{Err: fmt.Errorf("migrations folder: %w", err)}
		}
		fsys = os.DirFS(cfg.Migrations)
	}
	inUse := map[dialect.Dialect]bool{}
	for _, dsn := range dsns(cfg) {
		d, err := dialectFor(dialects, dsn)
		if err != nil {
			return nil, err
		}
		inUse[d] = true
	}
	var (
		engines []source.Engine
		rules   []string // every wired engine's lock rules
	)
	for _, d := range dialects {
		if inUse[d] {
			engines = append(engines, d)
		}
		if l, ok := d.(locklint.Linter); ok {
			for _, r := range l.LockRules() {
				rules = append(rules, r.ID)
			}
		}
	}
	src, err := source.Load(fsys, engines, &source.Options{Known: config.Engines(), Rules: rules, Go: opts.Go, Root: relative(cfg.Migrations)})
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return src, nil
}

// Open loads the source, opens the control database (bringing herd's own
// control schema up to date) and prepares the servers, which connect
// lazily. dialects are the engines herd may use, by Name(): each DSN of
// cfg must find its engine among them, or Open returns an *InputError.
// The caller must Close the Fleet.
func Open(ctx context.Context, cfg *config.Config, dialects []Dialect, opts Options) (*Fleet, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Reconnect == 0 {
		opts.Reconnect = 30 * time.Second
	}
	if opts.Actor == "" {
		opts.Actor = "cli"
	}
	src, err := LoadSource(cfg, dialects, opts)
	if err != nil {
		return nil, err
	}
	f := &Fleet{cfg: cfg, dialects: dialects, src: src, matrix: release.New(cfg.Releases, src), opts: opts, servers: map[string]server{}}
	if err := f.openServers(ctx); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.openControl(ctx); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Fleet) openServers(ctx context.Context) error {
	for _, sc := range f.cfg.Servers {
		d, err := f.dialectFor(sc.DSN)
		if err != nil {
			return fmt.Errorf("server %q: %w", sc.Name, err)
		}
		tenancy := dialect.Tenancy(sc.Tenancy)
		srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: sc.Name, DSN: sc.DSN, Tenancy: tenancy})
		if err != nil {
			return &InputError{Err: fmt.Errorf("server %q: %w", sc.Name, err)}
		}
		f.servers[sc.Name] = server{Server: srv, dialect: d, cfg: sc}
	}
	return nil
}

func (f *Fleet) openControl(ctx context.Context) error {
	d, err := f.dialectFor(f.cfg.Control)
	if err != nil {
		return fmt.Errorf("control database: %w", err)
	}
	srv, err := d.OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: f.cfg.Control})
	if err != nil {
		return &InputError{Err: fmt.Errorf("control database: %w", err)}
	}
	f.servers[""] = server{Server: srv, dialect: d}
	db, err := srv.Control(ctx)
	if err != nil {
		return fmt.Errorf("control database: %w", err)
	}
	f.system, f.systemD = db, d
	if f.control, err = control.Open(ctx, d, db, f.opts.Now); err != nil {
		return err
	}
	id, err := f.control.FleetID(ctx)
	f.owner = execute.Owner{Fleet: id, Environment: f.cfg.Env}
	return err
}

// executor returns an Executor for a database of kind k on dialect d,
// fenced by the fleet's identity when the database is a tenant's.
func (f *Fleet) executor(d dialect.Dialect, k source.Target, events event.Sink) *execute.Executor {
	return execute.New(d, f.executorOptions(k, events))
}

// executorOptions are the options of an Executor for databases of kind k.
func (f *Fleet) executorOptions(k source.Target, events event.Sink) *execute.Options {
	opts := &execute.Options{Now: f.opts.Now, Events: events, Splits: &f.splits,
		LockTimeout: f.cfg.LockTimeout, LockRetries: f.cfg.LockRetries}
	if k == source.Tenant {
		opts.Owner = &f.owner
	}
	return opts
}

// runOptions are the options of an Executor that runs migrations on
// ref's database, of kind k: its step events go to Options.Events, and
// its chunked migrations' progress to the control database.
func (f *Fleet) runOptions(k source.Target, ref control.Ref) *execute.Options {
	opts := f.executorOptions(k, f.stepEvents(ref))
	opts.Progress = &progressRecorder{store: f.control, ref: ref, now: f.opts.Now, log: f.opts.Logger}
	return opts
}

func (f *Fleet) dialectFor(dsn string) (dialect.Dialect, error) {
	return dialectFor(f.dialects, dsn)
}

// dialectFor returns the dialect of ds that the DSN's scheme names.
func dialectFor(ds []dialect.Dialect, dsn string) (dialect.Dialect, error) {
	if d := dialect.Named(ds, config.Engine(dsn)); d != nil {
		return d, nil
	}
	return nil, &InputError{Err: fmt.Errorf("no engine wired for %s", config.RedactDSN(dsn))}
}

// Close releases every connection the Fleet holds.
func (f *Fleet) Close() error {
	var errs []error
	if f.system != nil {
		errs = append(errs, f.system.Close())
	}
	for _, s := range f.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

func dsns(cfg *config.Config) []string {
	out := []string{cfg.Control}
	for _, s := range cfg.Servers {
		out = append(out, s.DSN)
	}
	return out
}

// relative shortens path against the working directory, for messages.
func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, ok := strings.CutPrefix(path, wd+string(os.PathSeparator)); ok {
		return rel
	}
	return path
}

// planOptions are the policies plans for tg follow.
func (f *Fleet) planOptions(tg target) plan.Options {
	opts := plan.Options{Engine: tg.dialect.Name(), AllowExperimental: f.cfg.AllowExperimental,
		Releases: f.matrix, Features: tg.features}
	for _, r := range f.cfg.Releases {
		if r.Experimental {
			opts.Experimental = append(opts.Experimental, r.System, r.Tenant)
		}
	}
	return opts
}

// resolveTarget returns the version to migrate target t to: the latest
// when to is empty. An unknown version is an input error. The system
// database's version is release.Matrix.SystemSchema's, the rule every
// command follows; when it has none (no system migrations at or below
// to), that is an input error too.
func (f *Fleet) resolveTarget(t source.Target, to string) (*semver.Version, error) {
	if t == source.System {
		v, err := f.systemTarget(to)
		if err != nil {
			return nil, err
		}
		if v == nil {
			if len(f.src.Versions(source.System)) == 0 {
				return nil, &InputError{Err: errors.New("there are no system migrations")}
			}
			return nil, &InputError{Err: fmt.Errorf("%s has no system schema: no system schema version is at or below it (the first is v%s)",
				to, f.src.Versions(source.System)[0])}
		}
		return v, nil
	}
	versions := f.src.Versions(t)
	if to == "" {
		if len(versions) == 0 {
			return nil, &InputError{Err: fmt.Errorf("there are no %s migrations", t)}
		}
		return versions[len(versions)-1], nil
	}
	v, err := source.ParseVersion(to)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("target version: %w", err)}
	}
	if r, ok := f.cfg.Release(to); ok {
		v = r.Tenant
	}
	for _, known := range versions {
		if known.Equal(v) {
			return known, nil
		}
	}
	names := make([]string, len(versions))
	for i, k := range versions {
		names[i] = "v" + k.String()
	}
	return nil, &InputError{Err: fmt.Errorf("%s version v%s does not exist (known: %s)", t, v, strings.Join(names, ", "))}
}

// Rollouts returns a rollout manager working on this fleet. Its rollout
// and tenant events go to Options.Events, and to opts.Events when set.
func (f *Fleet) Rollouts(opts rollout.Options) *rollout.Manager {
	if opts.Logger == nil {
		opts.Logger = f.opts.Logger
	}
	if f.opts.Events != nil {
		opts.Events = event.Fanout{f.opts.Events, opts.Events}
	}
	return rollout.New(f.cfg, f.control, rollout.Deps{Migrator: f, Snapshots: f, Releases: rolloutFleet{f}, TenantOpener: f}, opts)
}

// rolloutFleet is the Fleet in its rollout.Releases role, with the
// compatibility matrix a rollout reads.
type rolloutFleet struct{ *Fleet }

func (r rolloutFleet) Matrix() *release.Matrix { return r.matrix }
