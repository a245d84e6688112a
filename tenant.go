package herd

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// MaxTenantCode is the longest tenant code herd accepts.
const MaxTenantCode = 48

var tenantCode = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// ValidateTenantCode returns an *InputError when code is not 1 to 48
// characters of lower-case letters, digits and underscores, starting with a
// letter or digit.
func ValidateTenantCode(code string) error {
	switch {
	case code == "":
		return &InputError{Err: errors.New("tenant code is empty")}
	case len(code) > MaxTenantCode:
		return &InputError{Err: fmt.Errorf("tenant code %q is %d characters; the limit is %d", code, len(code), MaxTenantCode)}
	case !tenantCode.MatchString(code):
		return &InputError{Err: fmt.Errorf("tenant code %q: use lower-case letters, digits and underscores only, starting with a letter or digit", code)}
	}
	return nil
}

// TenantSpec describes a tenant to add.
// Its JSON form is a line of an import file (see ReadTenantFile).
type TenantSpec struct {
	Code string `json:"code"`
	// Name defaults to Code; Tier to "standard"; Server to the default
	// server.
	Name   string `json:"name"`
	Tier   string `json:"tier"`
	Server string `json:"server"`
	// Database names the tenant's database (or schema) on its server;
	// default the name herd.yaml's tenant_database renders for Code. Set
	// it to register a database named by another convention.
	Database string   `json:"database"`
	Tags     []string `json:"tags"`
	Features []string `json:"features"`
	// ExistingOnly refuses a tenant whose database does not exist,
	// instead of creating it: for registering databases that are
	// already there.
	ExistingOnly bool `json:"-"`
	// TakeOver adopts an existing database that another fleet (another
	// environment) owns, moving it to this fleet; without it such a
	// database is refused.
	TakeOver bool `json:"-"`
}

// AddTenant validates spec, renders the tenant's database name (unless
// spec names it) and checks it against the server engine's limit, creates
// the database with its (empty) ledger table (or, with
// spec.ExistingOnly, refuses a database that is not there), or adopts an
// existing one of that name as it is, and registers the tenant. Invalid
// input changes nothing.
func (f *Fleet) AddTenant(ctx context.Context, spec TenantSpec) (control.Tenant, error) {
	srv, name, err := f.checkSpec(spec)
	if err != nil {
		return control.Tenant{}, err
	}
	sc := srv.cfg
	if _, err := f.control.Tenant(ctx, spec.Code); err == nil {
		return control.Tenant{}, fmt.Errorf("tenant %q: %w", spec.Code, control.ErrTenantExists)
	} else if !errors.Is(err, control.ErrTenantNotFound) {
		return control.Tenant{}, err
	}
	t := control.Tenant{Code: spec.Code, Name: spec.Name, Tier: spec.Tier, Server: sc.Name, Database: name,
		Tags: spec.Tags, Features: spec.Features, CreatedAt: f.opts.Now()}
	if t.Name == "" {
		t.Name = t.Code
	}
	if t.Tier == "" {
		t.Tier = "standard"
	}
	exists, err := srv.Exists(ctx, name)
	if err != nil {
		return control.Tenant{}, fmt.Errorf("tenant %q: %w", spec.Code, err)
	}
	if !exists && spec.ExistingOnly {
		return control.Tenant{}, missingDatabase(spec.Code, name, sc.Name)
	}
	detail := "created database " + name
	if exists {
		if detail, err = f.adopt(ctx, srv, name, spec.TakeOver); err != nil {
			return control.Tenant{}, fmt.Errorf("tenant %q: %w", spec.Code, err)
		}
	} else {
		if err := srv.Create(ctx, name); err != nil {
			return control.Tenant{}, fmt.Errorf("tenant %q: create database: %w", spec.Code, err)
		}
		if err := f.provision(ctx, srv, name); err != nil {
			err = errors.Join(err, srv.Drop(context.WithoutCancel(ctx), name))
			return control.Tenant{}, fmt.Errorf("tenant %q: %w", spec.Code, err)
		}
	}
	if err := f.control.AddTenant(ctx, t); err != nil {
		if !exists {
			err = errors.Join(err, srv.Drop(context.WithoutCancel(ctx), name))
		}
		return control.Tenant{}, err
	}
	return t, f.control.Audit(ctx, f.opts.Actor, "tenant.add", t.Code, detail)
}

// tenantTier is what a tier may be: one word, which selectors (tier=T),
// waves and flags can name.
var tenantTier = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// checkSpec validates spec without touching a database: its code, tier,
// features and server, and the length of its database's name on that
// server's engine. It returns the server and the database's name; invalid
// input is an *InputError naming the tenant.
func (f *Fleet) checkSpec(spec TenantSpec) (server, string, error) {
	if err := ValidateTenantCode(spec.Code); err != nil {
		return server{}, "", err
	}
	if spec.Tier != "" {
		if err := checkTier(spec.Code, spec.Tier); err != nil {
			return server{}, "", err
		}
	}
	if err := f.checkFeatures(spec.Code, spec.Features); err != nil {
		return server{}, "", err
	}
	sc, err := f.cfg.Server(spec.Server)
	if err != nil {
		return server{}, "", &InputError{Err: fmt.Errorf("tenant %q: %w", spec.Code, err)}
	}
	srv := f.servers[sc.Name]
	name := spec.Database
	if name == "" {
		name = f.cfg.TenantDatabaseName(spec.Code)
	}
	if max := srv.MaxNameLength(); len(name) > max {
		return server{}, "", &InputError{Err: fmt.Errorf("tenant %q: database name %q is %d characters; %s on server %q allows %d",
			spec.Code, name, len(name), srv.dialect.Name(), sc.Name, max)}
	}
	return srv, name, nil
}

// checkTier refuses a tier of tenant code that is not one word.
func checkTier(code, tier string) error {
	if tier == "" {
		return &InputError{Err: fmt.Errorf("tenant %q: the tier cannot be empty", code)}
	}
	if !tenantTier.MatchString(tier) {
		return &InputError{Err: fmt.Errorf("tenant %q: tier %q: use letters, digits, underscores and hyphens, starting with a letter or digit", code, tier)}
	}
	return nil
}

// missingDatabase is the refusal of tenant code, to be registered with
// the existing database name on server, which is not there.
func missingDatabase(code, name, server string) error {
	return &InputError{Err: fmt.Errorf("tenant %q: database %s does not exist on server %q (import with --create to create it)", code, name, server)}
}

// provision makes the ledger table in database name, which herd has just
// created on srv, and records the fleet as its owner: a database herd
// creates is born with its ledger.
func (f *Fleet) provision(ctx context.Context, srv server, name string) error {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return err
	}
	return errors.Join(f.executor(srv.dialect, source.Tenant, nil).Provision(ctx, db), db.Close())
}

// adopt makes the existing database name on srv the fleet's: it refuses
// one that another fleet owns unless takeOver says to move it, and says
// what it did, for the audit log.
func (f *Fleet) adopt(ctx context.Context, srv server, name string, takeOver bool) (string, error) {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return "", err
	}
	defer db.Close()
	ex := f.executor(srv.dialect, source.Tenant, nil)
	if !takeOver {
		if err := ex.CheckOwner(ctx, db); err != nil {
			return "", err
		}
		return "adopted existing database " + name, nil
	}
	before, owned, err := ex.TakeOver(ctx, db)
	if err != nil {
		return "", err
	}
	if !owned {
		return "took over existing database " + name + ", which no fleet owned", nil
	}
	return fmt.Sprintf("took over existing database %s from %s", name, before), nil
}

// TenantChange is what SetTenant changes; nil fields stay as they are.
type TenantChange struct {
	Name, Tier     *string
	Tags, Features *[]string
}

// SetTenant changes the registry entry of tenant code and records it in
// the audit log. Features must each be one a release declares (see
// checkFeatures); invalid input changes nothing.
func (f *Fleet) SetTenant(ctx context.Context, code string, change TenantChange) (control.Tenant, error) {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return control.Tenant{}, err
	}
	var changed []string
	if change.Name != nil {
		t.Name = *change.Name
		changed = append(changed, "name "+t.Name)
	}
	if change.Tier != nil {
		if err := checkTier(code, *change.Tier); err != nil {
			return control.Tenant{}, err
		}
		t.Tier = *change.Tier
		changed = append(changed, "tier "+t.Tier)
	}
	if change.Tags != nil {
		t.Tags = *change.Tags
		changed = append(changed, "tags ["+strings.Join(t.Tags, ", ")+"]")
	}
	if change.Features != nil {
		if err := f.checkFeatures(code, *change.Features); err != nil {
			return control.Tenant{}, err
		}
		t.Features = *change.Features
		changed = append(changed, "features ["+strings.Join(t.Features, ", ")+"]")
	}
	if len(changed) == 0 {
		return control.Tenant{}, &InputError{Err: fmt.Errorf("tenant %q: nothing to change", code)}
	}
	if err := f.control.UpdateTenant(ctx, t); err != nil {
		return control.Tenant{}, err
	}
	return t, f.control.Audit(ctx, f.opts.Actor, "tenant.set", code, strings.Join(changed, "; "))
}

// checkFeatures refuses a feature that no release declares: a misspelt
// feature would otherwise keep the tenant from every release (canMigrate).
func (f *Fleet) checkFeatures(code string, features []string) error {
	known := f.matrix.Features()
	for _, name := range features {
		if slices.Contains(known, name) {
			continue
		}
		declared := "no release declares features"
		if len(known) > 0 {
			declared = "declared: " + strings.Join(known, ", ")
		}
		return &InputError{Err: fmt.Errorf("tenant %q: feature %q is not declared by any release (%s)", code, name, declared)}
	}
	return nil
}

// Tenant returns the registered tenant code.
func (f *Fleet) Tenant(ctx context.Context, code string) (control.Tenant, error) {
	return f.control.Tenant(ctx, code)
}

// Tenants returns every registered tenant.
func (f *Fleet) Tenants(ctx context.Context) ([]control.Tenant, error) {
	return f.control.Tenants(ctx)
}

// Selection names the tenants of a fleet-wide migration.
type Selection struct {
	// Tenants is a selector expression (see rollout.Select); "" is every
	// tenant.
	Tenants string
	// AllowEmpty lets a selection that matches no tenant through (the
	// migration then takes the system database alone); otherwise it is
	// an input error wrapping rollout.ErrNoTenant.
	AllowEmpty bool
}

// selectTenants returns the registered tenants sel names. A selector that
// does not parse or matches no tenant (unless allowed) is an input error.
func (f *Fleet) selectTenants(ctx context.Context, sel Selection) ([]control.Tenant, error) {
	all, err := f.control.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	selected, err := rollout.Select(sel.Tenants, all, f.cfg.ServerNames(), rollout.Classify(f.cfg.LargeTenants))
	if errors.Is(err, rollout.ErrNoTenant) && sel.AllowEmpty {
		return nil, nil
	}
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return selected, nil
}

// RemoveTenant unregisters the tenant. With drop, it also drops the
// tenant's database and every snapshot of it (see DropSnapshots);
// otherwise both are left in place, and the snapshots stay listed.
func (f *Fleet) RemoveTenant(ctx context.Context, code string, drop bool) error {
	t, err := f.control.Tenant(ctx, code)
	if err != nil {
		return err
	}
	var sns []control.Snapshot
	if drop {
		if err := f.checkOwner(ctx, t); err != nil {
			return fmt.Errorf("tenant %q: drop database: %w", code, err)
		}
		// Checked first, so that a snapshot herd cannot drop changes nothing.
		if sns, err = f.control.Snapshots(ctx, code); err != nil {
			return fmt.Errorf("tenant %q: %w", code, err)
		}
		for _, sn := range sns {
			if _, ok := f.snapshotServer(sn); !ok {
				return &InputError{Err: fmt.Errorf("tenant %q: snapshot %d (%s) is on server %q, which herd.yaml does not declare; declare it, or remove the tenant without --drop-database",
					code, sn.ID, sn.Name, sn.Server)}
			}
		}
	}
	if err := f.control.RemoveTenant(ctx, code); err != nil {
		return err
	}
	detail := "kept database " + t.Database
	if drop {
		if err := f.servers[t.Server].Drop(ctx, t.Database); err != nil {
			return fmt.Errorf("tenant %q: drop database: %w", code, err)
		}
		if _, err := f.DropSnapshots(ctx, sns, "tenant removed"); err != nil {
			return fmt.Errorf("tenant %q: %w", code, err)
		}
		detail = fmt.Sprintf("dropped database %s and %d snapshot(s)", t.Database, len(sns))
	}
	return f.control.Audit(ctx, f.opts.Actor, "tenant.remove", code, detail)
}

// checkOwner refuses tenant t's database when another fleet owns it.
func (f *Fleet) checkOwner(ctx context.Context, t control.Tenant) error {
	srv, ok := f.servers[t.Server]
	if !ok {
		return &InputError{Err: fmt.Errorf("tenant %q is on server %q, which herd.yaml does not declare", t.Code, t.Server)}
	}
	return f.checkDatabaseOwner(ctx, srv, t.Database)
}

// checkDatabaseOwner refuses the existing database name on srv when
// another fleet owns it (an *execute.OwnerError).
func (f *Fleet) checkDatabaseOwner(ctx context.Context, srv server, name string) error {
	db, err := srv.Open(ctx, name)
	if err != nil {
		return err
	}
	defer db.Close()
	return f.executor(srv.dialect, source.Tenant, nil).CheckOwner(ctx, db)
}

// SeedTenant runs script, SQL in the tenant's engine, in tenant code's
// database, statement by statement outside herd's ledger, and records it
// in the audit log as the Fleet's actor: for sample or fixture rows, never
// for a schema change (that is a migration's job). It returns how many
// statements ran; a failure names the statement's line.
func (f *Fleet) SeedTenant(ctx context.Context, code, script string) (int, error) {
	db, d, err := f.OpenTenant(ctx, code)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	stmts, err := d.Split(script)
	if err != nil {
		return 0, err
	}
	for i, st := range stmts {
		if _, err := db.DB.ExecContext(ctx, st.SQL); err != nil {
			return i, fmt.Errorf("line %d: %w", st.Line, err)
		}
	}
	return len(stmts), f.control.Audit(ctx, f.opts.Actor, "tenant.seed", code, fmt.Sprintf("%d sample rows", len(stmts)))
}
