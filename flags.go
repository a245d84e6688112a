package herd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/flags"
)

// ErrFlagNotFound is wrapped by the *InputError returned for a flag that
// herd.yaml does not declare.
var ErrFlagNotFound = errors.New("flag not found")

// EvaluateFlag decides whether the tenant with the given code may use the
// feature of flag, and says why (see package flags for the rules). The
// tenant's tier and schema version come from the control database (its
// registry entry and its row of database_schema_versions), as does its
// override: the tenant's own database is not opened. A flag herd.yaml does
// not declare, or a tenant the registry lacks, is an *InputError wrapping
// ErrFlagNotFound or control.ErrTenantNotFound. It is safe for concurrent
// use; an application that evaluates often should use a FlagSnapshot.
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

// FlagSnapshot is an immutable, in-memory copy of everything flag
// evaluation needs: the flags of herd.yaml, every tenant's code, tier and
// schema version, and every override, as the control database held them
// when the snapshot was taken. Evaluating from it touches no database, so
// it suits an application (or herd serve) that asks on every request and
// refreshes the snapshot every few seconds. It is safe for concurrent use.
type FlagSnapshot struct {
	takenAt   time.Time
	flags     []config.Flag
	byName    map[string]int
	tenants   map[string]flags.Tenant
	overrides map[string]map[string]flags.Override
}

// FlagSnapshot takes a FlagSnapshot: two queries of the control database
// (tenants with their versions, and overrides), none of a tenant database.
// It fails only when the control database does.
func (f *Fleet) FlagSnapshot(ctx context.Context) (*FlagSnapshot, error) {
	tenants, err := f.control.FlagTenants(ctx)
	if err != nil {
		return nil, err
	}
	overrides, err := f.control.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	s := &FlagSnapshot{
		takenAt:   f.opts.Now(),
		flags:     slices.Clone(f.cfg.Flags),
		byName:    make(map[string]int, len(f.cfg.Flags)),
		tenants:   make(map[string]flags.Tenant, len(tenants)),
		overrides: overrides,
	}
	for i, fl := range s.flags {
		s.byName[fl.Name] = i
	}
	for _, t := range tenants {
		s.tenants[t.Code] = t
	}
	return s, nil
}

// TakenAt returns when the snapshot was taken, by the Fleet's clock.
func (s *FlagSnapshot) TakenAt() time.Time { return s.takenAt }

// Flags returns a copy of the declared flags, sorted by name. Their
// EnabledFor and BetaTenants lists are shared: the caller must not modify
// them.
func (s *FlagSnapshot) Flags() []config.Flag { return slices.Clone(s.flags) }

// Flag returns the declared flag called name, and whether there is one.
func (s *FlagSnapshot) Flag(name string) (config.Flag, bool) {
	i, ok := s.byName[name]
	if !ok {
		return config.Flag{}, false
	}
	return s.flags[i], true
}

// Tenant returns what the snapshot knows of the tenant with the given
// code, and whether it knows the tenant.
func (s *FlagSnapshot) Tenant(code string) (flags.Tenant, bool) {
	t, ok := s.tenants[code]
	return t, ok
}

// Len returns the number of tenants in the snapshot.
func (s *FlagSnapshot) Len() int { return len(s.tenants) }

// Override returns the tenant's override of flag; OverrideNone when it has
// none.
func (s *FlagSnapshot) Override(flag, code string) flags.Override {
	return s.overrides[flag][code]
}

// Evaluate decides whether the tenant with the given code may use the
// feature of flag, and says why, as EvaluateFlag does but from the
// snapshot. A flag the snapshot does not have, or a tenant it does not
// know, is an *InputError wrapping ErrFlagNotFound or
// control.ErrTenantNotFound.
func (s *FlagSnapshot) Evaluate(flag, code string) (flags.Result, error) {
	fl, t, err := s.lookup(flag, code)
	if err != nil {
		return flags.Result{}, err
	}
	return flags.Evaluate(fl, t, s.overrides[flag][code]), nil
}

// Enabled is Evaluate without the words: whether the tenant may use the
// feature, and the rule that decided. It does not allocate unless it
// fails.
func (s *FlagSnapshot) Enabled(flag, code string) (bool, flags.Reason, error) {
	fl, t, err := s.lookup(flag, code)
	if err != nil {
		return false, "", err
	}
	on, reason := flags.Enabled(fl, t, s.overrides[flag][code])
	return on, reason, nil
}

// EvaluateAll evaluates every flag of the snapshot for the tenant with
// the given code, sorted by flag name. An unknown tenant is an
// *InputError wrapping control.ErrTenantNotFound.
func (s *FlagSnapshot) EvaluateAll(code string) ([]flags.Result, error) {
	t, ok := s.tenants[code]
	if !ok {
		return nil, unknownTenant(code)
	}
	out := make([]flags.Result, len(s.flags))
	for i, fl := range s.flags {
		out[i] = flags.Evaluate(fl, t, s.overrides[fl.Name][code])
	}
	return out, nil
}

func (s *FlagSnapshot) lookup(flag, code string) (config.Flag, flags.Tenant, error) {
	i, ok := s.byName[flag]
	if !ok {
		_, err := lookupFlag(s.flags, flag)
		return config.Flag{}, flags.Tenant{}, err
	}
	t, ok := s.tenants[code]
	if !ok {
		return config.Flag{}, flags.Tenant{}, unknownTenant(code)
	}
	return s.flags[i], t, nil
}

// lookupFlag finds the flag called name in declared, or returns an
// *InputError that names the declared flags.
func lookupFlag(declared []config.Flag, name string) (config.Flag, error) {
	for _, fl := range declared {
		if fl.Name == name {
			return fl, nil
		}
	}
	if len(declared) == 0 {
		return config.Flag{}, &InputError{Err: fmt.Errorf("flag %q: %w (herd.yaml declares no flags)", name, ErrFlagNotFound)}
	}
	names := make([]string, 0, min(len(declared), 10))
	for _, fl := range declared[:min(len(declared), 10)] {
		names = append(names, fl.Name)
	}
	if len(declared) > 10 {
		names = append(names, fmt.Sprintf("and %d more", len(declared)-10))
	}
	return config.Flag{}, &InputError{Err: fmt.Errorf("flag %q: %w (herd.yaml declares %s)", name, ErrFlagNotFound, strings.Join(names, ", "))}
}

func unknownTenant(code string) error {
	return &InputError{Err: fmt.Errorf("tenant %q: %w", code, control.ErrTenantNotFound)}
}
