package shadow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/herdhq/herd/internal/problem"
)

// Suffix ends the name of a tenant's shadow when the whole tenant name
// fits before it.
const Suffix = "_herd_shadow"

// hashedSuffix ends the name of a shadow whose tenant name is too long
// for Suffix: the tenant name is cut, and 8 hex digits of its hash keep
// two long names that share a beginning apart.
const hashedSuffix = "_shadow_"

// hashLen is how many hex digits of the tenant name's hash a shortened
// name carries.
const hashLen = 8

// minPrefix is how much of the tenant's name a shortened name keeps at
// least, so that an operator can tell whose shadow it is.
const minPrefix = 8

// OldSuffix ends the name a tenant's database takes when a switch that
// renames (see Frozen.SwapNames) gives the tenant's name to its migrated
// copy, when the whole tenant name fits before it.
const OldSuffix = "_herd_old"

// hashedOldSuffix is OldSuffix's shortened form, as hashedSuffix is
// Suffix's.
const hashedOldSuffix = "_old_"

// Name returns the name of tenant's shadow on an engine whose names are
// at most max bytes long: tenant + "_herd_shadow" when it fits, else the
// start of tenant, "_shadow_" and 8 hex digits of a hash of tenant. It
// returns a *problem.InputError when even that cannot fit in max with at
// least 8 characters of tenant's name.
func Name(tenant string, max int) (string, error) {
	return suffixed(tenant, Suffix, hashedSuffix, max)
}

// OldName returns the name tenant's database takes when a switch that
// renames gives tenant's name to its migrated copy: tenant + "_herd_old"
// when it fits in max bytes, else shortened as Name shortens.
func OldName(tenant string, max int) (string, error) {
	return suffixed(tenant, OldSuffix, hashedOldSuffix, max)
}

// suffixed is tenant + suffix when it fits in max bytes, else the start
// of tenant, short and hashLen hex digits of a hash of tenant.
func suffixed(tenant, suffix, short string, max int) (string, error) {
	if len(tenant)+len(suffix) <= max {
		return tenant + suffix, nil
	}
	keep := max - len(short) - hashLen
	if keep < minPrefix || tenant == "" {
		return "", &problem.InputError{Err: fmt.Errorf("shadow: tenant database %q: no name ending %q fits the engine's %d characters", tenant, suffix, max)}
	}
	sum := sha256.Sum256([]byte(tenant))
	return tenant[:min(keep, len(tenant))] + short + hex.EncodeToString(sum[:])[:hashLen], nil
}
