package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/flags"
)

// DefaultRefresh is how often a router asks the control database whether
// anything changed, when Options.Refresh is 0.
const DefaultRefresh = 2 * time.Second

// refreshTimeout bounds one refresh by the router's own poller: the
// generation query and, when it moved, the reload.
const refreshTimeout = 30 * time.Second

// failureLogEvery is how often the poller logs a control database that
// keeps failing, after logging the first failure.
const failureLogEvery = time.Minute

// ErrUnknownTenant is wrapped by the errors returned for a tenant code the
// router's snapshot does not have. It is flags.ErrTenantNotFound, so
// errors.Is matches either name.
var ErrUnknownTenant = flags.ErrTenantNotFound

// Options are a router's optional settings; the zero value is the
// defaults each field names.
type Options struct {
	// Refresh is how often the router reads the control database's change
	// counter (control.Store.Generation), reloading when it moved; default
	// DefaultRefresh. A negative Refresh starts no poller: the snapshot
	// changes only when the caller calls Router.Refresh.
	Refresh time.Duration
	// Logger receives the poller's failures to refresh and its recoveries;
	// default discards.
	Logger *slog.Logger
	// Now is the clock that stamps refreshes (Router.LastRefresh); default
	// time.Now.
	Now func() time.Time
}

// Router resolves tenants to their databases and evaluates feature flags
// for them, from an in-memory snapshot of the control database that it
// keeps current. See the package documentation. It is safe for
// concurrent use.
type Router struct {
	cfg      *config.Config
	dialects []dialect.Dialect
	opts     Options
	store    *control.Reader
	// closeControl releases the control database; nil until attached.
	closeControl func() error
	servers      map[string]server

	current     atomic.Pointer[snapshot]
	lastRefresh atomic.Int64 // Unix nanoseconds of the last successful Refresh
	reload      sync.Mutex   // one Refresh at a time

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// server is one server of herd.yaml, with its engine.
type server struct {
	cfg     config.Server
	dialect dialect.Dialect
	conn    dialect.Server
}

// Open opens cfg's control database for reading, checks that herd has
// migrated its control schema to control.AttachVersion or later (it never
// migrates it itself: an error wrapping control.ErrControlSchemaOutdated
// says to run herd migrate --system), loads the first snapshot and, unless
// opts.Refresh is negative, starts the poller. It connects to no tenant
// server. cfg is used as given: for an environment of herd.yaml, pass
// cfg.InEnvironment(name). dialects are the engines of the control
// database and of the servers of herd.yaml, matched by Name() to each
// DSN's scheme. It fails when a DSN of cfg has no engine among dialects or
// does not parse, or when the control database cannot be
// read; errors never contain a DSN's password. The caller must Close the
// Router.
func Open(ctx context.Context, cfg *config.Config, dialects []dialect.Dialect, opts Options) (*Router, error) {
	if len(dialects) == 0 {
		return nil, errors.New("router: open: no dialects: wire the engines of herd.yaml")
	}
	if opts.Refresh == 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Router{cfg: cfg, dialects: dialects, opts: opts, servers: make(map[string]server, len(cfg.Servers))}
	if err := r.open(ctx); err != nil {
		return nil, errors.Join(err, r.closeConns())
	}
	if err := r.Refresh(ctx); err != nil {
		return nil, errors.Join(err, r.closeConns())
	}
	if opts.Refresh > 0 {
		ctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		r.stop, r.done = stop, make(chan struct{})
		go r.poll(ctx)
	}
	return r, nil
}

// open prepares the servers (without connecting) and attaches to the
// control database.
func (r *Router) open(ctx context.Context) error {
	for _, sc := range r.cfg.Servers {
		d, err := r.dialectFor(sc.DSN)
		if err != nil {
			return fmt.Errorf("router: server %q: %w", sc.Name, err)
		}
		conn, err := d.OpenServer(ctx, dialect.ServerConfig{Name: sc.Name, DSN: sc.DSN, Tenancy: dialect.Tenancy(sc.Tenancy)})
		if err != nil {
			return fmt.Errorf("router: %w", err)
		}
		r.servers[sc.Name] = server{cfg: sc, dialect: d, conn: conn}
	}
	d, err := r.dialectFor(r.cfg.Control)
	if err != nil {
		return fmt.Errorf("router: control database: %w", err)
	}
	r.store, r.closeControl, err = control.AttachDSN(ctx, d, r.cfg.Control)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	return nil
}

// dialectFor finds the engine a DSN's scheme names.
func (r *Router) dialectFor(dsn string) (dialect.Dialect, error) {
	if d := dialect.Named(r.dialects, config.Engine(dsn)); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("no engine wired for %s", config.RedactDSN(dsn))
}

// Close stops the poller, waiting for a refresh in progress, and closes
// the router's connections. The router must not be used afterwards;
// closing twice returns the first result.
func (r *Router) Close() error {
	r.closeOnce.Do(func() {
		if r.stop != nil {
			r.stop()
			<-r.done
		}
		r.closeErr = r.closeConns()
	})
	return r.closeErr
}

func (r *Router) closeConns() error {
	var errs []error
	if r.closeControl != nil {
		errs = append(errs, r.closeControl())
	}
	for _, s := range r.servers {
		errs = append(errs, s.conn.Close())
	}
	return errors.Join(errs...)
}

// Resolve returns where the tenant with the given code lives and the state
// of its schema, from the current snapshot: it touches no database and
// does not allocate unless it fails. An unknown code is an error wrapping
// ErrUnknownTenant; a tenant registered on a server herd.yaml does not
// declare is an error that names the server.
func (r *Router) Resolve(_ context.Context, code string) (Target, error) {
	e, ok := r.current.Load().targets[code]
	if !ok {
		return Target{}, unknownTenant(code)
	}
	if e.serverMissing {
		return Target{}, fmt.Errorf("router: tenant %q is on server %q, which herd.yaml does not declare", code, e.target.Server)
	}
	t := e.target
	// A freeze a killed herd left lapses at its time, without a refresh.
	t.ReadOnly = r.opts.Now().Before(e.frozenUntil)
	if t.ReadOnly {
		t.MovingTo = e.movingTo
	}
	return t, nil
}

// Enabled reports whether the tenant with the given code may use the
// feature of flag, evaluated in-process from the current snapshot (see
// package flags for the rules). It touches no database and does not
// allocate unless it fails. A flag herd.yaml does not declare is an error
// wrapping flags.ErrFlagNotFound; an unknown tenant, one wrapping
// ErrUnknownTenant.
func (r *Router) Enabled(_ context.Context, flag, code string) (bool, error) {
	on, _, err := r.current.Load().flags.Enabled(flag, code)
	if err != nil {
		return false, fmt.Errorf("router: %w", err)
	}
	return on, nil
}

// Evaluate is Enabled with the rule that decided and what it looked at
// (flags.Result; its Detail method says why in words). It fails as Enabled
// does and does not allocate unless it fails.
func (r *Router) Evaluate(_ context.Context, flag, code string) (flags.Result, error) {
	res, err := r.current.Load().flags.Evaluate(flag, code)
	if err != nil {
		return flags.Result{}, fmt.Errorf("router: %w", err)
	}
	return res, nil
}

// Flags returns the current snapshot of flags, tenants and overrides, for
// callers that evaluate many flags at once (flags.Snapshot.EvaluateAll)
// or serve them. It is immutable; a later refresh replaces it rather than
// changing it.
func (r *Router) Flags() *flags.Snapshot { return r.current.Load().flags }

// Generation returns the control database's change counter as of the
// current snapshot (see control.Store.Generation).
func (r *Router) Generation() int64 { return r.current.Load().generation }

// LastRefresh returns when the router last read the control database
// successfully, by Options.Now, whether or not that reloaded the snapshot.
// While the control database fails, the snapshot goes on serving and
// LastRefresh falls behind: it tells how stale the answers may be.
func (r *Router) LastRefresh() time.Time { return time.Unix(0, r.lastRefresh.Load()) }

// OpenTenant opens a pool on the tenant's database (or schema) through
// its server's engine, as herd itself does, to the current snapshot's
// registry entry. Every call opens a new pool, which the caller must
// Close: an application should keep the pool for as long as Resolve
// returns the same target. It fails as Resolve does, or when the database
// does not exist or cannot be reached.
func (r *Router) OpenTenant(ctx context.Context, code string) (*dialect.Database, error) {
	t, err := r.Resolve(ctx, code)
	if err != nil {
		return nil, err
	}
	name := t.Database
	if t.Schema != "" {
		name = t.Schema
	}
	db, err := r.servers[t.Server].conn.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("router: tenant %q: %w", code, err)
	}
	return db, nil
}

// OpenMovingTo opens, as OpenTenant does, a pool on the database (or
// schema) a tenant whose writes a shadow migration froze moves to at its
// switch (Target.MovingTo), with one connection made: an application
// that keeps it, and uses it once Resolve names that database, reads
// there at once instead of waiting for a connection at the switch. It
// fails when the tenant is not moving, or the database cannot be
// reached (a shadow migration that failed drops it).
func (r *Router) OpenMovingTo(ctx context.Context, code string) (*dialect.Database, error) {
	t, err := r.Resolve(ctx, code)
	if err != nil {
		return nil, err
	}
	if t.MovingTo == "" {
		return nil, fmt.Errorf("router: tenant %q is not moving to another database", code)
	}
	db, err := r.servers[t.Server].conn.Open(ctx, t.MovingTo)
	if err != nil {
		return nil, fmt.Errorf("router: tenant %q: %w", code, err)
	}
	return db, nil
}

// Refresh reads the control database's change counter and, when it moved
// since the current snapshot, loads a new snapshot and swaps it in
// atomically: calls in progress finish on the old one, later calls see
// the new one. Reads never wait for a refresh. On failure the current
// snapshot stays and the error is returned. Concurrent calls run one at a
// time. The poller calls it every Options.Refresh; call it directly to
// refresh now, for example with polling turned off.
func (r *Router) Refresh(ctx context.Context) error {
	r.reload.Lock()
	defer r.reload.Unlock()
	gen, err := r.store.Generation(ctx)
	if err != nil {
		return fmt.Errorf("router: refresh: %w", err)
	}
	if cur := r.current.Load(); cur == nil || cur.generation != gen {
		// Read after the counter: a change committed while the snapshot
		// loads moves the counter past gen, so the next refresh loads again.
		next, err := load(ctx, r.store, gen, r.cfg, r.servers)
		if err != nil {
			return fmt.Errorf("router: refresh: %w", err)
		}
		r.current.Store(next)
	}
	r.lastRefresh.Store(r.opts.Now().UnixNano())
	return nil
}

// poll refreshes every Options.Refresh until ctx ends, logging failures:
// the first at once, then one a minute while they last, and the recovery.
func (r *Router) poll(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.opts.Refresh)
	defer tick.Stop()
	var failingSince, loggedAt time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		refreshCtx, cancel := context.WithTimeout(ctx, refreshTimeout)
		err := r.Refresh(refreshCtx)
		cancel()
		now := r.opts.Now()
		switch {
		case err != nil && ctx.Err() != nil:
			return // closing
		case err != nil:
			if failingSince.IsZero() {
				failingSince = now
			}
			if loggedAt.IsZero() || now.Sub(loggedAt) >= failureLogEvery {
				loggedAt = now
				r.opts.Logger.Error("router: refresh failed; serving the last snapshot",
					"error", err, "generation", r.Generation(), "failing_since", failingSince)
			}
		case !failingSince.IsZero():
			r.opts.Logger.Info("router: refresh recovered", "generation", r.Generation(), "failed_for", now.Sub(failingSince))
			failingSince, loggedAt = time.Time{}, time.Time{}
		}
	}
}

func unknownTenant(code string) error {
	return fmt.Errorf("router: tenant %q: %w", code, ErrUnknownTenant)
}
