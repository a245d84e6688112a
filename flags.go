package herd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/flags"
)

// ErrFlagNotFound is wrapped by the *InputError returned for a flag that
// herd.yaml does not declare. It is flags.ErrFlagNotFound.
var ErrFlagNotFound = flags.ErrFlagNotFound

// EvaluateFlag decides whether the tenant with the given code may use the
// feature of flag, and says why (see package flags for the rules). The
// tenant's tier and schema version come from the control database (its
// registry entry and its row of database_schema_versions), as does its
// override: the tenant's own database is not opened. A flag herd.yaml does
// not declare, or a tenant the registry lacks, is an *InputError wrapping
// ErrFlagNotFound or control.ErrTenantNotFound. It is safe for concurrent
// use; an application that evaluates often should use a FlagSnapshot, or
// package router.
func (f *Fleet) EvaluateFlag(ctx context.Context, flag, code string) (flags.Result, error) {
	fl, err := lookupFlag(f.cfg.Flags, flag)
	if err != nil {
		return flags.Result{}, err
	}
	t, err := f.flagTenant(ctx, code)
	if err != nil {
		return flags.Result{}, err
	}
	o, err := f.control.Override(ctx, flag, code)
	if err != nil {
		return flags.Result{}, err
	}
	return flags.Evaluate(fl, t, o), nil
}

// EvaluateFlags evaluates every flag herd.yaml declares for the tenant with
// the given code, in the order of the configuration (by name), reading the
// control database as EvaluateFlag does. An unknown tenant is an
// *InputError wrapping control.ErrTenantNotFound.
func (f *Fleet) EvaluateFlags(ctx context.Context, code string) ([]flags.Result, error) {
	t, err := f.flagTenant(ctx, code)
	if err != nil {
		return nil, err
	}
	overrides, err := f.control.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]flags.Result, len(f.cfg.Flags))
	for i, fl := range f.cfg.Flags {
		out[i] = flags.Evaluate(fl, t, overrides[fl.Name][code])
	}
	return out, nil
}

// SetFlagOverride turns flag on (flags.OverrideOn) or off
// (flags.OverrideOff) for the tenant with the given code, or removes its
// override (flags.OverrideNone), and writes the change to the audit log as
// the Fleet's actor. The version gate still applies: an override never
// turns a flag on for a tenant whose schema is below the flag's required
// version. A flag herd.yaml does not declare, or an unknown tenant, is an
// *InputError and changes nothing.
func (f *Fleet) SetFlagOverride(ctx context.Context, flag, code string, o flags.Override) error {
	if _, err := lookupFlag(f.cfg.Flags, flag); err != nil {
		return err
	}
	if o != flags.OverrideNone && o != flags.OverrideOn && o != flags.OverrideOff {
		return &InputError{Err: fmt.Errorf("flag %q for tenant %q: unknown override %s", flag, code, o)}
	}
	err := f.control.SetOverride(ctx, flag, code, o, f.opts.Actor)
	if errors.Is(err, control.ErrTenantNotFound) {
		return &InputError{Err: err}
	}
	return err
}

// flagTenant reads what evaluation needs of one tenant from the control
// database.
func (f *Fleet) flagTenant(ctx context.Context, code string) (flags.Tenant, error) {
	t, err := f.control.FlagTenant(ctx, code)
	if errors.Is(err, control.ErrTenantNotFound) {
		return flags.Tenant{}, &InputError{Err: err}
	}
	return t, err
}

// Generation returns the control database's change counter (see
// control.Store.Generation): when it has not moved, a FlagSnapshot taken
// before is still current.
func (f *Fleet) Generation(ctx context.Context) (int64, error) {
	return f.control.Generation(ctx)
}

// FlagSnapshot returns a flags.Snapshot of this fleet: the flags of
// herd.yaml, every tenant's code, tier and schema version, and every
// override, as the control database holds them now. It takes two queries
// of the control database (tenants with their versions, and overrides),
// none of a tenant database, and fails only when the control database
// does. Evaluating from the snapshot touches no database; see package
// router for a snapshot an application keeps current.
func (f *Fleet) FlagSnapshot(ctx context.Context) (*flags.Snapshot, error) {
	tenants, err := f.control.FlagTenants(ctx)
	if err != nil {
		return nil, err
	}
	overrides, err := f.control.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	return flags.NewSnapshot(f.cfg.Flags, tenants, overrides), nil
}

// WriteFreezes returns until when each tenant whose writes a shadow
// migration froze is frozen, by code, as the control database records it:
// a time in the past is a freeze whose herd stopped without ending it,
// which holds no more. herd serve answers herd.read_only from it.
func (f *Fleet) WriteFreezes(ctx context.Context) (map[string]time.Time, error) {
	return f.control.WriteFreezes(ctx)
}

// lookupFlag finds the flag called name in declared, or returns an
// *InputError wrapping ErrFlagNotFound that names the declared flags.
func lookupFlag(declared []config.Flag, name string) (config.Flag, error) {
	fl, err := flags.Find(declared, name)
	if err != nil {
		return config.Flag{}, &InputError{Err: err}
	}
	return fl, nil
}

// FlagRules is one flag of herd.yaml with its rules and the tenants that
// override it.
type FlagRules struct {
	Name              string   `json:"name"`
	RequiredVersion   string   `json:"required_version"`
	EnabledFor        []string `json:"enabled_for"`
	BetaTenants       []string `json:"beta_tenants"`
	RolloutPercentage float64  `json:"rollout_percentage"`
	Description       string   `json:"description"`
	// Overrides are the tenants' overrides by code ("on" or "off").
	Overrides map[string]string `json:"overrides"`
}

// FlagRules returns every flag herd.yaml declares, in its order, with the
// overrides the control database holds; lists are empty, not nil. It
// returns the control database's error when that cannot be read.
func (f *Fleet) FlagRules(ctx context.Context) ([]FlagRules, error) {
	overrides, err := f.control.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	rules := make([]FlagRules, len(f.cfg.Flags))
	for i, fl := range f.cfg.Flags {
		r := FlagRules{Name: fl.Name, EnabledFor: nonNil(fl.EnabledFor), BetaTenants: nonNil(fl.BetaTenants),
			RolloutPercentage: fl.RolloutPercentage, Description: fl.Description, Overrides: map[string]string{}}
		if fl.RequiredVersion != nil {
			r.RequiredVersion = fl.RequiredVersion.String()
		}
		for code, o := range overrides[fl.Name] {
			r.Overrides[code] = o.String()
		}
		rules[i] = r
	}
	return rules, nil
}

// nonNil makes an empty list marshal as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
