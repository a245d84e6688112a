package flags

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/herdhq/herd/config"
)

// ErrFlagNotFound is wrapped by the errors returned for a flag that
// herd.yaml does not declare.
var ErrFlagNotFound = errors.New("flag not found")

// ErrTenantNotFound is wrapped by the errors a Snapshot returns for a
// tenant code it does not know.
var ErrTenantNotFound = errors.New("tenant not found")

// Find returns the flag called name among declared. When there is none,
// it returns an error wrapping ErrFlagNotFound that names the declared
// flags (the first ten).
func Find(declared []config.Flag, name string) (config.Flag, error) {
	for _, fl := range declared {
		if fl.Name == name {
			return fl, nil
		}
	}
	return config.Flag{}, notDeclared(declared, name)
}

// notDeclared is the error for a flag called name that declared lacks.
func notDeclared(declared []config.Flag, name string) error {
	if len(declared) == 0 {
		return fmt.Errorf("flag %q: %w (herd.yaml declares no flags)", name, ErrFlagNotFound)
	}
	names := make([]string, 0, min(len(declared), 10)+1)
	for _, fl := range declared[:min(len(declared), 10)] {
		names = append(names, fl.Name)
	}
	if len(declared) > 10 {
		names = append(names, fmt.Sprintf("and %d more", len(declared)-10))
	}
	return fmt.Errorf("flag %q: %w (herd.yaml declares %s)", name, ErrFlagNotFound, strings.Join(names, ", "))
}

// Snapshot is an immutable, in-memory copy of everything evaluation needs
// for a fleet: the declared flags, every tenant's code, tier and schema
// version, and every override. Evaluating from it touches no database and,
// once a flag and a tenant are found, does not allocate, so it suits an
// application (or herd serve, or package router) that asks on every
// request and builds a new Snapshot when the fleet changes. It is safe for
// concurrent use.
type Snapshot struct {
	flags     []config.Flag // sorted by name
	byName    map[string]int
	tenants   map[string]Tenant
	overrides map[string]map[string]Override
}

// NewSnapshot returns a Snapshot of the declared flags, the tenants and
// their overrides (by flag name, then by tenant code; nil for none). It
// copies the lists and maps it is given, so the caller may reuse them;
// the flags' EnabledFor and BetaTenants lists and the tenants' versions
// are shared and must not be modified. Of two tenants with one code, or
// two flags with one name, the later wins.
func NewSnapshot(declared []config.Flag, tenants []Tenant, overrides map[string]map[string]Override) *Snapshot {
	s := &Snapshot{
		byName:    make(map[string]int, len(declared)),
		tenants:   make(map[string]Tenant, len(tenants)),
		overrides: make(map[string]map[string]Override, len(overrides)),
	}
	for _, fl := range declared {
		if i, ok := s.byName[fl.Name]; ok {
			s.flags[i] = fl
			continue
		}
		s.byName[fl.Name] = len(s.flags)
		s.flags = append(s.flags, fl)
	}
	slices.SortFunc(s.flags, func(a, b config.Flag) int { return strings.Compare(a.Name, b.Name) })
	for i, fl := range s.flags {
		s.byName[fl.Name] = i
	}
	for _, t := range tenants {
		s.tenants[t.Code] = t
	}
	for flag, byTenant := range overrides {
		if len(byTenant) > 0 {
			s.overrides[flag] = maps.Clone(byTenant)
		}
	}
	return s
}

// Flags returns a copy of the declared flags, sorted by name. Their
// EnabledFor and BetaTenants lists are shared: the caller must not modify
// them.
func (s *Snapshot) Flags() []config.Flag { return slices.Clone(s.flags) }

// FlagCount returns the number of declared flags.
func (s *Snapshot) FlagCount() int { return len(s.flags) }

// Flag returns the declared flag called name, and whether there is one.
// It does not allocate.
func (s *Snapshot) Flag(name string) (config.Flag, bool) {
	i, ok := s.byName[name]
	if !ok {
		return config.Flag{}, false
	}
	return s.flags[i], true
}

// Tenant returns what the snapshot knows of the tenant with the given
// code, and whether it knows the tenant. It does not allocate.
func (s *Snapshot) Tenant(code string) (Tenant, bool) {
	t, ok := s.tenants[code]
	return t, ok
}

// Len returns the number of tenants in the snapshot.
func (s *Snapshot) Len() int { return len(s.tenants) }

// Override returns the tenant's override of flag; OverrideNone when it has
// none. It does not allocate.
func (s *Snapshot) Override(flag, code string) Override {
	return s.overrides[flag][code]
}

// Evaluate decides whether the tenant with the given code may use the
// feature of flag, and says why (see Evaluate). A flag the snapshot does
// not have is an error wrapping ErrFlagNotFound; a tenant it does not know,
// one wrapping ErrTenantNotFound. It allocates only when it fails.
func (s *Snapshot) Evaluate(flag, code string) (Result, error) {
	fl, t, err := s.lookup(flag, code)
	if err != nil {
		return Result{}, err
	}
	return Evaluate(fl, t, s.overrides[flag][code]), nil
}

// Enabled is Evaluate reduced to its answer: whether the tenant may use
// the feature, and the rule that decided. It fails as Evaluate does, and
// allocates only then.
func (s *Snapshot) Enabled(flag, code string) (bool, Reason, error) {
	fl, t, err := s.lookup(flag, code)
	if err != nil {
		return false, "", err
	}
	on, reason := Enabled(fl, t, s.overrides[flag][code])
	return on, reason, nil
}

// EvaluateAll evaluates every flag of the snapshot for the tenant with
// the given code, sorted by flag name. An unknown tenant is an error
// wrapping ErrTenantNotFound.
func (s *Snapshot) EvaluateAll(code string) ([]Result, error) {
	t, ok := s.tenants[code]
	if !ok {
		return nil, unknownTenant(code)
	}
	out := make([]Result, len(s.flags))
	for i, fl := range s.flags {
		out[i] = Evaluate(fl, t, s.overrides[fl.Name][code])
	}
	return out, nil
}

func (s *Snapshot) lookup(flag, code string) (config.Flag, Tenant, error) {
	i, ok := s.byName[flag]
	if !ok {
		return config.Flag{}, Tenant{}, notDeclared(s.flags, flag)
	}
	t, ok := s.tenants[code]
	if !ok {
		return config.Flag{}, Tenant{}, unknownTenant(code)
	}
	return s.flags[i], t, nil
}

func unknownTenant(code string) error {
	return fmt.Errorf("tenant %q: %w", code, ErrTenantNotFound)
}
