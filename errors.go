package herd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/plan"
	"github.com/herdhq/herd/rollout"
	"github.com/herdhq/herd/source"
)

// InputError is a failure caused by what the caller asked for, not by a
// database: the CLI exits 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err was caused by bad input: a malformed
// configuration or source, an unknown tenant or version, an invalid tenant
// code, or a plan that policy refuses.
func IsInputError(err error) bool {
	var (
		in       *InputError
		problems *source.Error // also *config.Error: both are lists of file:line problems
		ref      *plan.RefusedError
	)
	return errors.As(err, &in) || errors.As(err, &problems) || errors.As(err, &ref) || rollout.IsInputError(err) ||
		errors.Is(err, control.ErrTenantNotFound) || errors.Is(err, control.ErrTenantExists)
}

// TenantsError is what a fleet-wide migration returns when some of its
// tenants failed or were refused after it began: the system database and
// the other tenants may have changed, so it is a failure, not bad input,
// even when every tenant's error is a refusal. Errors lists each tenant's
// error, naming the tenant.
type TenantsError struct {
	// Failed and Total count the tenants that failed or were refused,
	// and the tenants the run was to migrate.
	Failed, Total int
	Errors        []error
}

func (e *TenantsError) Error() string {
	msgs := make([]string, 0, len(e.Errors)+1)
	msgs = append(msgs, fmt.Sprintf("%d of %d tenants failed or were refused:", e.Failed, e.Total))
	for _, err := range e.Errors {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns each tenant's error.
func (e *TenantsError) Unwrap() []error { return e.Errors }
