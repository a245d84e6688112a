package shadow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/internal/problem"
)

// herdPrefix starts the names of herd's own tables in a tenant (its
// ledger, its owner table, the capture table): they are copied with the
// tenant, but not captured.
const herdPrefix = "herd_"

// cleanupTimeout bounds the removal of what a failed Prepare made, which
// runs even when the caller's context has ended.
const cleanupTimeout = time.Minute

// DefaultBatch is how many captured changes one CatchUp reads.
const DefaultBatch = 1000

// Options are Prepare's optional settings; nil means the defaults.
type Options struct {
	// Batch is how many captured changes one CatchUp reads; 0 means
	// DefaultBatch.
	Batch int
	// Progress, when set, is told how far Prepare got: Captured once the
	// capture triggers are on the tenant's tables and the copy begins,
	// Copied once the copy is made (its capture objects not yet removed,
	// its mark not yet set). It runs on Prepare's goroutine.
	Progress func(Step)
}

// Step is how far Prepare got (Options.Progress).
type Step int

const (
	// Captured: the tenant's changes are captured; the copy begins.
	Captured Step = iota + 1
	// Copied: the copy is made.
	Copied
)

// Shadow is a tenant's shadow under construction: a copy of the tenant
// beside it on the same server, kept up to date with the tenant's changes
// by CatchUp. A Shadow is not safe for concurrent use, except that the
// release function Freeze returns may be called from any goroutine.
type Shadow struct {
	srv        dialect.Server
	d          dialect.Dialect
	capture    dialect.ChangeCapture
	tenantName string
	name       string
	batch      int
	progress   func(Step)

	tenant *dialect.Database
	shadow *dialect.Database
	// tables are the tenant's tables that are captured, by name; frozen
	// are every table of the tenant but the capture table.
	tables map[string]dialect.Table
	frozen []string
	sync   dialect.RowSync

	mu       sync.Mutex
	freezing bool  // a freeze is held
	caughtUp int64 // while frozen: the seq of the last change caught up
	// freeze is the freeze, while one is held (for Seal).
	freeze *Frozen
	// sealed is set once Seal sealed the tenant: StopCapture keeps its
	// capture, which holds the seal.
	sealed bool
	// swapped is set once SwapNames gave the tenant's name to the shadow,
	// and took its mark away.
	swapped bool
}

// capabilities are what a shadow migration needs of an engine.
type capabilities struct {
	ins     dialect.Inspector
	capture dialect.ChangeCapture
	snap    dialect.Snapshotter
}

func capabilitiesOf(srv dialect.Server, d dialect.Dialect) (capabilities, error) {
	var c capabilities
	var ok [5]bool
	c.ins, ok[0] = d.(dialect.Inspector)
	c.capture, ok[1] = d.(dialect.ChangeCapture)
	c.snap, ok[2] = srv.(dialect.Snapshotter)
	_, ok[3] = srv.(dialect.RowSyncer)
	_, ok[4] = d.(dialect.WriteFreezer)
	if slices.Contains(ok[:], false) {
		return c, fmt.Errorf("shadow: engine %q cannot run a shadow migration (it needs Inspector, ChangeCapture, WriteFreezer, Snapshotter and RowSyncer)", d.Name())
	}
	return c, nil
}

// Prepare creates the shadow of tenant (a database, or schema, name on
// srv) and brings it to the tenant's contents: it installs the capture
// triggers on every table of the tenant (but herd's own), then copies the
// tenant with the engine's Snapshotter, so that every change committed
// after the copy's snapshot is captured, and removes the capture objects
// the copy took along. The shadow is named by Name.
//
// The caller holds the tenant's migration lock from before Prepare until
// the Shadow is switched to or abandoned, so that no migration changes
// the tenant's schema meanwhile. Prepare refuses, with a
// *problem.InputError and before it creates anything, a tenant with a
// table (other than herd's) that has no primary key, or whose shadow's
// name cannot fit the engine's limit. It fails when the tenant has a
// capture table or a shadow already (a shadow migration left behind:
// Remove it). On any other failure it removes what it made.
func Prepare(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant string, opts *Options) (*Shadow, error) {
	caps, err := capabilitiesOf(srv, d)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, srv, d, caps, tenant, opts)
	if err != nil {
		return nil, err
	}
	if opts != nil {
		s.progress = opts.Progress
	}
	if err := s.refuseLeftBehind(ctx); err != nil {
		_ = s.tenant.Close()
		return nil, err
	}
	if err := s.create(ctx, caps); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if rerr := s.Abandon(cctx); rerr != nil {
			err = fmt.Errorf("%w (and removing what was made failed: %v)", err, rerr)
		}
		return nil, err
	}
	return s, nil
}

// Resume opens the shadow of tenant that a Prepare made and a herd that
// stopped (was killed) left behind, with its capture still running, so
// that catching up can go on: no captured change was lost, since CatchUp
// deletes a change only once its row is in the shadow. It fails when the
// tenant has no capture table or no shadow (Prepare did not finish:
// Remove what is left and prepare again), or when the tenant's tables no
// longer qualify.
func Resume(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant string, opts *Options) (*Shadow, error) {
	caps, err := capabilitiesOf(srv, d)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, srv, d, caps, tenant, opts)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Shadow, error) {
		_ = s.Close()
		return nil, fmt.Errorf("shadow: resume tenant %q: %w", tenant, err)
	}
	switch ok, err := d.TableExists(ctx, s.tenant.DB, s.tenant, dialect.CaptureTable); {
	case err != nil:
		return fail(err)
	case !ok:
		return fail(errors.New("it has no capture table: no shadow migration was prepared, or it was abandoned"))
	}
	if s.shadow, err = srv.Open(ctx, s.name); err != nil {
		return fail(err)
	}
	switch ok, err := markedFor(ctx, d, s.shadow, tenant); {
	case err != nil:
		return fail(err)
	case !ok:
		return fail(fmt.Errorf("%q is not marked as its shadow (no %s naming it)", s.name, MarkerTable))
	}
	return s, nil
}

// open returns a Shadow of tenant with the tenant open and inspected.
func open(ctx context.Context, srv dialect.Server, d dialect.Dialect, caps capabilities, tenant string, opts *Options) (*Shadow, error) {
	name, err := Name(tenant, srv.MaxNameLength())
	if err != nil {
		return nil, err
	}
	s := &Shadow{srv: srv, d: d, capture: caps.capture, tenantName: tenant, name: name, batch: DefaultBatch}
	if opts != nil && opts.Batch > 0 {
		s.batch = opts.Batch
	}
	if s.tenant, err = srv.Open(ctx, tenant); err != nil {
		return nil, fmt.Errorf("shadow: tenant %q: %w", tenant, err)
	}
	if err := s.inspect(ctx, caps.ins); err != nil {
		_ = s.tenant.Close()
		return nil, err
	}
	return s, nil
}

// inspect reads the tenant's tables, and refuses those without a primary
// key.
func (s *Shadow) inspect(ctx context.Context, ins dialect.Inspector) error {
	tables, err := ins.Tables(ctx, s.tenant.DB, s.tenant)
	if err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", s.tenantName, err)
	}
	s.frozen = freezable(tables)
	captured, err := capturable(s.tenantName, tables)
	s.tables = make(map[string]dialect.Table, len(captured))
	for _, t := range captured {
		s.tables[t.Name] = t
	}
	return err
}

// freezable names the tables a freeze blocks writes to: every table but
// the capture table, which the seal needs free (see Frozen.Seal).
func freezable(tables []dialect.Table) []string {
	var out []string
	for _, t := range tables {
		if t.Name != dialect.CaptureTable {
			out = append(out, t.Name)
		}
	}
	return out
}

// capturable returns the tables of db a capture covers: every table but
// herd's own, in the order given; an input error names those without a
// primary key.
func capturable(db string, tables []dialect.Table) ([]dialect.Table, error) {
	var out []dialect.Table
	var keyless []string
	for _, t := range tables {
		if strings.HasPrefix(t.Name, herdPrefix) {
			continue
		}
		if len(t.PrimaryKey) == 0 {
			keyless = append(keyless, fmt.Sprintf("%q", t.Name))
		}
		out = append(out, t)
	}
	if len(keyless) > 0 {
		return out, &problem.InputError{Err: fmt.Errorf("shadow: tenant %q: table %s has no primary key: a shadow migration catches up changed rows by key",
			db, strings.Join(keyless, ", "))}
	}
	return out, nil
}

// refuseLeftBehind fails when a shadow migration of the tenant was
// started before and not abandoned.
func (s *Shadow) refuseLeftBehind(ctx context.Context) error {
	ok, err := s.d.TableExists(ctx, s.tenant.DB, s.tenant, dialect.CaptureTable)
	if err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", s.tenantName, err)
	}
	if ok {
		return fmt.Errorf("shadow: tenant %q has a capture table (%s) from a shadow migration left behind: remove it first", s.tenantName, dialect.CaptureTable)
	}
	if ok, err = s.srv.Exists(ctx, s.name); err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", s.tenantName, err)
	}
	if ok {
		return fmt.Errorf("shadow: tenant %q: its shadow %q exists, left behind by a shadow migration: remove it first", s.tenantName, s.name)
	}
	return nil
}

// create installs the capture, copies the tenant and opens the copy.
func (s *Shadow) create(ctx context.Context, caps capabilities) error {
	tables := make([]dialect.Table, 0, len(s.tables))
	for _, t := range s.tables {
		tables = append(tables, t)
	}
	slices.SortFunc(tables, func(a, b dialect.Table) int { return strings.Compare(a.Name, b.Name) })
	if err := s.capture.InstallCapture(ctx, s.tenant, tables); err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", s.tenantName, err)
	}
	s.tell(Captured)
	if err := caps.snap.Snapshot(ctx, s.tenantName, s.name); err != nil {
		return fmt.Errorf("shadow: tenant %q: copy: %w", s.tenantName, err)
	}
	s.tell(Copied)
	var err error
	if s.shadow, err = s.srv.Open(ctx, s.name); err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", s.tenantName, err)
	}
	// The copy took the capture table and triggers along: the shadow
	// must not capture its own catch-up.
	if err := s.capture.RemoveCapture(ctx, s.shadow); err != nil {
		return fmt.Errorf("shadow: tenant %q: shadow %q: %w", s.tenantName, s.name, err)
	}
	if err := mark(ctx, s.d, s.shadow, s.tenantName); err != nil {
		return fmt.Errorf("shadow: tenant %q: shadow %q: %w", s.tenantName, s.name, err)
	}
	return nil
}

// tell reports a step to Options.Progress.
func (s *Shadow) tell(step Step) {
	if s.progress != nil {
		s.progress(step)
	}
}

// errClosed is returned by the methods of a closed Shadow that need its
// connections.
var errClosed = errors.New("the shadow is closed")

// closed reports errClosed once Close has run.
func (s *Shadow) closed() error {
	if s.tenant == nil || s.shadow == nil {
		return errClosed
	}
	return nil
}

// Name is the shadow's database (or schema) name on the tenant's server.
func (s *Shadow) Name() string { return s.name }

// Tenant is the tenant's database name, as Prepare received it.
func (s *Shadow) Tenant() string { return s.tenantName }

// Database is the open shadow, for migrating it, or nil once the Shadow
// is closed. The Shadow closes it.
func (s *Shadow) Database() *dialect.Database { return s.shadow }

// StopCapture removes the capture triggers and table from the tenant
// (unless Seal sealed it: the capture then stays, refusing writes, until
// Unseal) and the shadow's mark (MarkerTable) from the shadow, keeping
// the shadow, and closes the Shadow: for after the switch, when the
// shadow has become the tenant and the tenant its rollback point. It is
// safe to call again.
func (s *Shadow) StopCapture(ctx context.Context) error {
	var err error
	s.mu.Lock()
	swapped := s.swapped
	s.mu.Unlock()
	if s.shadow != nil && !swapped {
		if err = unmark(ctx, s.d, s.shadow); err != nil {
			err = fmt.Errorf("shadow: tenant %q: shadow %q: %w", s.tenantName, s.name, err)
		}
	}
	err = errors.Join(err, s.Close())
	s.mu.Lock()
	sealed := s.sealed
	s.mu.Unlock()
	if sealed {
		return err
	}
	return errors.Join(err, removeCapture(ctx, s.srv, s.capture, s.tenantName))
}

// Abandon closes the Shadow, removes the capture triggers and table from
// the tenant and drops the shadow: the tenant is as it was before
// Prepare. It is safe to call again.
func (s *Shadow) Abandon(ctx context.Context) error {
	err := errors.Join(s.Close(), removeCapture(ctx, s.srv, s.capture, s.tenantName))
	if derr := s.srv.Drop(ctx, s.name); derr != nil {
		err = errors.Join(err, fmt.Errorf("shadow: tenant %q: drop shadow %q: %w", s.tenantName, s.name, derr))
	}
	return err
}

// Remove removes what a shadow migration of tenant left behind, by name:
// the capture triggers and table in the tenant, and the tenant's shadow
// (Name), which it drops only when it holds the mark of tenant's shadow
// (MarkerTable), or when the tenant's capture claims it (see claims): a
// copy a herd killed during Prepare left unmarked, or half made. A
// database of that name that is neither (a tenant, or a shadow already
// switched to) is left alone, and Remove says so. It is for a shadow
// whose herd is gone (killed); a live one is abandoned with
// Shadow.Abandon. Nothing left is not an error.
func Remove(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant string) error {
	capture, ok := d.(dialect.ChangeCapture)
	if !ok {
		return fmt.Errorf("shadow: engine %q has no change capture", d.Name())
	}
	name, err := Name(tenant, srv.MaxNameLength())
	if err != nil {
		return err
	}
	claimed, err := claims(ctx, srv, d, tenant)
	if err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", tenant, err)
	}
	err = removeCapture(ctx, srv, capture, tenant)
	if derr := dropShadow(ctx, srv, d, tenant, name, claimed); derr != nil {
		err = errors.Join(err, fmt.Errorf("shadow: tenant %q: drop shadow %q: %w", tenant, name, derr))
	}
	return err
}

// claims reports whether tenant's capture says that a database bearing
// its shadow's name is the copy a Prepare was making: Prepare installs
// the capture only after it has checked that no database bears that
// name, so one that does since is its copy, whether or not the copy got
// as far as the mark. A sealed tenant (the database a switch left, see
// Shadow.Seal) claims nothing: its shadow's name is the database the
// tenant moved to.
func claims(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant string) (bool, error) {
	capturing, sealed, err := captureState(ctx, srv, d, tenant)
	return capturing && !sealed, err
}

// dropShadow drops database name when it exists and either claimed or
// it holds the mark of tenant's shadow.
func dropShadow(ctx context.Context, srv dialect.Server, d dialect.Dialect, tenant, name string, claimed bool) error {
	switch ok, err := srv.Exists(ctx, name); {
	case err != nil:
		return err
	case !ok:
		return nil
	case claimed:
		// Not opened: a copy cut short may not be a database yet.
		return srv.Drop(ctx, name)
	}
	db, err := srv.Open(ctx, name)
	if err != nil {
		return err
	}
	marked, err := markedFor(ctx, d, db, tenant)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return err
	case !marked:
		return fmt.Errorf("it is not marked as the tenant's shadow (no %s naming it): left alone", MarkerTable)
	}
	return srv.Drop(ctx, name)
}

// removeCapture opens tenant and removes its capture triggers and table.
func removeCapture(ctx context.Context, srv dialect.Server, capture dialect.ChangeCapture, tenant string) error {
	db, err := srv.Open(ctx, tenant)
	if err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", tenant, err)
	}
	defer db.Close()
	if err := capture.RemoveCapture(ctx, db); err != nil {
		return fmt.Errorf("shadow: tenant %q: %w", tenant, err)
	}
	return nil
}

// Close releases the Shadow's connections and leaves the tenant, its
// capture and the shadow as they are (Resume opens them again). After
// Close, CatchUp, Freeze and Verify fail; Abandon and StopCapture still
// work. It is safe to call again.
func (s *Shadow) Close() error {
	var errs []error
	if s.sync != nil {
		errs = append(errs, s.sync.Close())
		s.sync = nil
	}
	if s.shadow != nil {
		errs = append(errs, s.shadow.Close())
		s.shadow = nil
	}
	if s.tenant != nil {
		errs = append(errs, s.tenant.Close())
		s.tenant = nil
	}
	return errors.Join(errs...)
}
