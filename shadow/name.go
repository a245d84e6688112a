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

// Name returns the name of tenant's shadow on an engine whose names are
// at most max bytes long: tenant + "_herd_shadow" when it fits, else the
// start of tenant, "_shadow_" and 8 hex digits of a hash of tenant. It
// returns a *problem.InputError when even that cannot fit in max with at
// least 8 characters of tenant's name.
func Name(tenant string, max int) (string, error) {
	if len(tenant)+len(Suffix) <= max {
		return tenant + Suffix, nil
	}
	keep := max - len(hashedSuffix) - hashLen
	if keep < minPrefix || tenant == "" {
		return "", &problem.InputError{Err: fmt.Errorf("shadow: tenant database %q: no shadow name fits the engine's %d characters", tenant, max)}
	}
	sum := sha256.Sum256([]byte(tenant))
	return tenant[:min(keep, len(tenant))] + hashedSuffix + hex.EncodeToString(sum[:])[:hashLen], nil
}
